using Gear.Core.Sampling;
using Gear.Protocol.Rdma;
using Gear.Server.Admin.Metrics;
using Gear.Server.Service;
using Microsoft.Extensions.Logging;

namespace Gear.Server.DataPlane;

/// <summary>
/// One learner's RDMA batch stream: a queue pair connected to the learner's, staging slots registered on the
/// server's device, and a loop that gathers a batch whenever the learner holds a free slot, composes its frame
/// in the matching staging slot and writes it into the learner's ring. The write runs on the adapter while
/// the next batch is gathered. Whatever the learner does (stalls, vanishes, breaks the protocol) ends this
/// session only, and the session always releases its queue pair, its staging memory and its gather buffer.
/// </summary>
internal sealed class RdmaSession : IDisposable
{
    /// <summary>How long a finished session waits for a slot to send its end frame in.</summary>
    private static readonly TimeSpan EndGrace = TimeSpan.FromSeconds(10);

    /// <summary>The same wait when the server is stopping: shutdown should not wait out a learner that is gone.</summary>
    private static readonly TimeSpan ShutdownEndGrace = TimeSpan.FromSeconds(1);

    private readonly RdmaQueuePair _qp;
    private readonly RdmaMemory _staging;
    private readonly RdmaRingWriter _writer;

    /// <summary>Sets up the session's queue pair (connected to <paramref name="learner"/>), staging slots and credit receives.</summary>
    public RdmaSession(ulong id, RdmaDevice device, Gear.Protocol.V1.SampleStreamRequest request, RdmaRing ring, RdmaPeerAddress learner, TimeSpan probeInterval)
    {
        Id = id;
        Request = request;
        var qp = new RdmaQueuePair(device, RdmaRingWriter.SendDepth(ring.SlotCount), RdmaRingWriter.ReceiveDepth(ring.SlotCount));
        RdmaMemory? staging = null;
        try
        {
            qp.Connect(learner);
            staging = new RdmaMemory(device, (long)ring.SlotBytes * ring.SlotCount, remoteWritable: false);
            _writer = new RdmaRingWriter(qp, staging, ring, probeInterval);
        }
        catch
        {
            staging?.Dispose();
            qp.Dispose();
            throw;
        }
        _qp = qp;
        _staging = staging;
    }

    /// <summary>The session id, echoed in every frame.</summary>
    public ulong Id { get; }

    /// <summary>What the stream samples.</summary>
    public Gear.Protocol.V1.SampleStreamRequest Request { get; }

    /// <summary>The server's queue pair, for the learner to connect to.</summary>
    public RdmaPeerAddress Local => _qp.Local;

    /// <summary>Runs the stream to its end; never throws.</summary>
    public async Task RunAsync(TableRegistry tables, GearMetrics metrics, ILogger logger, CancellationToken serverStopping)
    {
        var core = SampleMapping.ToCore(Request.Sample);
        ulong sent = 0;
        try
        {
            using var lease = tables.Lease(Request.Sample.Table);
            var served = lease.Served;
            using var learner = metrics.SampleStreamOpened(served.Name);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(serverStopping, served.Dropping);
            logger.LogInformation("data plane: rdma session {Session} on table {Table}: {BatchSize} windows of {WindowLength} steps, {Slots} slots",
                Id, served.Name, core.BatchSize, core.WindowLength, _writer.Credits);
            var encoder = new BatchFrameEncoder(Id, served.Table.Spec.Columns.Count);
            var failure = await StreamAsync(served, core, ReplayService.RandomFor(Request.Sample), encoder, metrics, stop.Token).ConfigureAwait(false);
            sent = _writer.Written;
            var (code, message) = failure is null ? (0, "complete") : SessionEndStatus.Describe(failure, served);
            // The end frame needs a slot like any frame: wait for one, but not for ever (the learner may be gone).
            using var grace = new CancellationTokenSource(serverStopping.IsCancellationRequested ? ShutdownEndGrace : EndGrace);
            await _writer.WaitForCreditAsync(grace.Token).ConfigureAwait(false);
            _writer.Write(encoder.WriteEnd(_writer.Written, code, message, _writer.NextSlot));
            await _writer.FlushAsync(grace.Token).ConfigureAwait(false);
            logger.LogInformation("data plane: rdma session {Session} on table {Table} ended after {Batches} batches", Id, served.Name, sent);
        }
        catch (RdmaCompletionException e)
        {
            logger.LogInformation("data plane: rdma session {Session} ended after {Batches} batches: {Reason}", Id, _writer.Written, e.Message);
        }
        catch (OperationCanceledException)
        {
            logger.LogInformation("data plane: rdma session {Session} ended after {Batches} batches: the learner took no end frame", Id, _writer.Written);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "data plane: rdma session {Session} failed", Id);
        }
        finally
        {
            Dispose();
        }
    }

    /// <summary>Gathers and writes batches until max_batches; returns what stopped it early (null: done), which <see cref="SessionEndStatus.Describe"/> turns into the end frame's status.</summary>
    private async Task<Exception?> StreamAsync(ServedTable served, SampleRequest core, RandomStream random, BatchFrameEncoder encoder, GearMetrics metrics, CancellationToken stop)
    {
        var maxBatches = Request.MaxBatches;
        // One gather buffer for the whole session: a batch is copied into its staging slot before the next gather.
        var buffer = served.Buffers.Rent(core.BatchSize, core.WindowLength);
        try
        {
            for (long produced = 0; maxBatches == 0 || produced < maxBatches; produced++)
            {
                await _writer.WaitForCreditAsync(stop).ConfigureAwait(false);
                await served.SampleAsync(metrics, core, random, buffer.Batch, hold: false, Timeout.InfiniteTimeSpan, stop).ConfigureAwait(false);
                _writer.Write(encoder.WriteBatch(buffer, _writer.Written, _writer.NextSlot));
            }
            return null;
        }
        catch (RdmaCompletionException)
        {
            throw;
        }
        catch (Exception e)
        {
            return e;
        }
        finally
        {
            served.Buffers.Return(buffer);
        }
    }

    /// <summary>Destroys the queue pair and frees the staging slots.</summary>
    public void Dispose()
    {
        _qp.Dispose();
        _staging.Dispose();
    }
}
