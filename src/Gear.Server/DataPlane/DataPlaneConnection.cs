using System.Net.Sockets;
using System.Threading.Channels;
using Gear.Core.Sampling;
using Gear.Protocol.DataPlane;
using Gear.Server.Admin.Metrics;
using Gear.Server.Service;
using Microsoft.Extensions.Logging;

namespace Gear.Server.DataPlane;

/// <summary>
/// One learner's data-plane connection: the hello (session token and credits), then a producer that gathers a
/// batch only when the learner holds a free credit, a sender that writes each gathered batch as a frame, and a
/// reader of credit frames. Whatever the learner does (stalls, sends garbage, goes away) ends this connection
/// only; a stalled learner holds at most its credits' worth of gather buffers.
/// </summary>
internal sealed class DataPlaneConnection(
    Socket socket, TableRegistry tables, DataPlaneSessions sessions, GearMetrics metrics, ILogger logger)
{
    /// <summary>How long a new connection has to present its hello.</summary>
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long an ended session waits for the learner to close its side.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(10);

    /// <summary>Runs the connection to its end; never throws.</summary>
    public async Task RunAsync(CancellationToken serverStopping)
    {
        var peer = socket.RemoteEndPoint?.ToString() ?? "?";
        using var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            socket.NoDelay = true;
            var session = await HandshakeAsync(stream, peer, serverStopping).ConfigureAwait(false);
            if (session is null)
                return;
            await ServeAsync(stream, session.Value.Session, session.Value.Credits, peer, serverStopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            logger.LogInformation("data plane: connection from {Peer} closed: {Reason}", peer, e.Message);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "data plane: connection from {Peer} failed", peer);
        }
    }

    private async Task<(DataPlaneSession Session, int Credits)?> HandshakeAsync(NetworkStream stream, string peer, CancellationToken stopping)
    {
        var hello = new byte[LearnerFrames.HelloBytes];
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            timeout.CancelAfter(HelloTimeout);
            try
            {
                await stream.ReadExactlyAsync(hello, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                logger.LogWarning("data plane: closing connection from {Peer}: no hello within {Seconds} s", peer, HelloTimeout.TotalSeconds);
                return null;
            }
        }
        var token = new byte[LearnerFrames.TokenBytes];
        uint credits;
        try
        {
            credits = LearnerFrames.ReadHello(hello, token);
        }
        catch (DataPlaneFrameException e)
        {
            logger.LogWarning("data plane: closing connection from {Peer}: bad hello: {Reason}", peer, e.Message);
            return null;
        }
        // Fixed-time lookup is not needed: the dictionary key is the token itself and a miss reveals nothing usable.
        if (sessions.TryClaim(token) is not { } session)
        {
            logger.LogWarning("data plane: closing connection from {Peer}: unknown, used or expired session token", peer);
            return null;
        }
        if (credits < 1 || credits > ReplayService.MaxBatchesInFlight)
        {
            logger.LogWarning("data plane: closing connection from {Peer}: {Credits} initial credits (1 to {Max})", peer, credits, ReplayService.MaxBatchesInFlight);
            return null;
        }
        return (session, (int)credits);
    }

    private async Task ServeAsync(NetworkStream stream, DataPlaneSession session, int credits, string peer, CancellationToken serverStopping)
    {
        var request = session.Request;
        var core = SampleMapping.ToCore(request.Sample);
        using var lease = tables.Lease(request.Sample.Table);
        var served = lease.Served;
        using var learner = metrics.SampleStreamOpened(served.Name);
        logger.LogInformation("data plane: session {Session} from {Peer} on table {Table}: {BatchSize} windows of {WindowLength} steps, {Credits} credits",
            session.Id, peer, served.Name, core.BatchSize, core.WindowLength, credits);

        // `connection` ends the session (server stopping, learner gone or misbehaving); `stop` also ends the
        // gathering when the table is dropped, which the sender then reports in an end frame.
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(serverStopping);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(connection.Token, served.Dropping);
        // Credits bound everything the server holds for this learner: a gather starts only on a credit, and a
        // credit comes back only after the learner has received a batch.
        using var free = new SemaphoreSlim(credits, ReplayService.MaxBatchesInFlight);
        var gathered = Channel.CreateBounded<GatherBuffer>(new BoundedChannelOptions(ReplayService.MaxBatchesInFlight) { SingleReader = true, SingleWriter = true });
        var creditReader = ReadCreditsAsync(stream, free, peer, connection);
        var producer = ProduceAsync(served, core, ReplayService.RandomFor(request.Sample), request.MaxBatches, free, gathered.Writer, stop.Token);
        var writer = new BatchFrameWriter(stream, session.Id, served.Table.Spec.Columns.Count, core.BatchSize);
        ulong sent = 0;
        try
        {
            await foreach (var buffer in gathered.Reader.ReadAllAsync(connection.Token).ConfigureAwait(false))
            {
                try
                {
                    await writer.WriteBatchAsync(buffer, sent, connection.Token).ConfigureAwait(false);
                }
                finally
                {
                    served.Buffers.Return(buffer);
                }
                sent++;
            }
            // The producer completes the channel without an error and reports its failure (a bad request found
            // by Core, a dropped table) as its result: that becomes the end frame's status.
            var (code, message) = await producer.ConfigureAwait(false) is { } failure ? BatchGathering.Describe(failure, served) : (0, "complete");
            await writer.WriteEndAsync(sent, code, message, connection.Token).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await ((Task)producer).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            while (gathered.Reader.TryRead(out var left))
                served.Buffers.Return(left);
            await CloseGracefullyAsync(creditReader, connection, served.Dropping).ConfigureAwait(false);
            logger.LogInformation("data plane: session {Session} from {Peer} on table {Table} ended after {Batches} batches", session.Id, peer, served.Name, sent);
        }
    }

    /// <summary>
    /// Ends the connection without losing the frames already sent: closing a socket with unread bytes (credits
    /// still arriving) makes TCP reset it, and a reset can discard data the learner has not read yet. So the
    /// sending side is shut first, and the credit reader drains until the learner closes (or a grace period ends).
    /// </summary>
    private async Task CloseGracefullyAsync(Task creditReader, CancellationTokenSource connection, CancellationToken dropping)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }
        // A table being dropped waits for this session's lease: it does not wait out the grace period.
        await creditReader.WaitAsync(CloseGrace, dropping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await connection.CancelAsync().ConfigureAwait(false);
        await creditReader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task ReadCreditsAsync(NetworkStream stream, SemaphoreSlim free, string peer, CancellationTokenSource stop)
    {
        var frame = new byte[LearnerFrames.CreditBytes];
        try
        {
            while (true)
            {
                await stream.ReadExactlyAsync(frame, stop.Token).ConfigureAwait(false);
                var credits = LearnerFrames.ReadCredit(frame);
                if (credits == 0 || credits > ReplayService.MaxBatchesInFlight)
                    throw new DataPlaneFrameException($"a credit frame of {credits} credits");
                free.Release((int)credits);
            }
        }
        catch (SemaphoreFullException)
        {
            logger.LogWarning("data plane: closing connection from {Peer}: credits beyond {Max} outstanding", peer, ReplayService.MaxBatchesInFlight);
        }
        catch (DataPlaneFrameException e)
        {
            logger.LogWarning("data plane: closing connection from {Peer}: bad credit frame: {Reason}", peer, e.Message);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // The learner went away (end of stream) or the session ended: nothing to report.
        }
        await stop.CancelAsync().ConfigureAwait(false);
    }

    /// <summary>Gathers on each free credit until max_batches; returns what stopped it early (null: done or cancelled).</summary>
    private async Task<Exception?> ProduceAsync(
        ServedTable served, SampleRequest request, RandomStream random, long maxBatches, SemaphoreSlim free,
        ChannelWriter<GatherBuffer> output, CancellationToken stop)
    {
        try
        {
            for (long produced = 0; maxBatches == 0 || produced < maxBatches; produced++)
            {
                await free.WaitAsync(stop).ConfigureAwait(false);
                var buffer = served.Buffers.Rent(request.BatchSize, request.WindowLength);
                try
                {
                    await BatchGathering.GatherAsync(metrics, served, request, random, buffer, stop).ConfigureAwait(false);
                    await output.WriteAsync(buffer, stop).ConfigureAwait(false);
                }
                catch
                {
                    served.Buffers.Return(buffer);
                    throw;
                }
            }
            return null;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !served.Dropping.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
        finally
        {
            output.TryComplete();
        }
    }
}
