using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using Gear.Core.Errors;
using Gear.Core.Sampling;
using Gear.Protocol.V1;
using Gear.Server.Admin.Metrics;
using Gear.Server.Grpc;
using Microsoft.Extensions.Logging;
using CoreSampleRequest = Gear.Core.Sampling.SampleRequest;
using WireSampleRequest = Gear.Protocol.V1.SampleRequest;

namespace Gear.Server.Service;

public sealed partial class ReplayService
{
    /// <summary>Batches a SampleStream gathers ahead of the learner when it does not say.</summary>
    public const int DefaultBatchesInFlight = 2;

    /// <summary>Most batches a SampleStream may gather ahead (each holds a whole batch of memory).</summary>
    public const int MaxBatchesInFlight = 64;

    private async Task<SampleResponse> Sample(WireSampleRequest request, ServerCallContext context)
    {
        var core = SampleMapping.ToCore(request);
        using var lease = _tables.Lease(request.Table);
        SampleMapping.CheckReplySize(lease.Table.Spec.Columns, core, _identity.MaxSendMessageBytes);
        var buffer = lease.Served.Buffers.Rent(core.BatchSize, core.WindowLength);
        try
        {
            await SampleIntoAsync(lease.Served, core, RandomFor(request), buffer.Batch, context, _metrics).ConfigureAwait(false);
            return SampleMapping.ToWire(buffer);
        }
        finally
        {
            lease.Served.Buffers.Return(buffer);
        }
    }

    private async Task SampleStream(SampleStreamRequest request, IServerStreamWriter<SampleResponse> responses, ServerCallContext context)
    {
        if (request.Sample is null)
            throw Invalid("sample is required");
        var core = SampleMapping.ToCore(request.Sample);
        var inFlight = request.BatchesInFlight == 0 ? DefaultBatchesInFlight : request.BatchesInFlight;
        if (inFlight < 1 || inFlight > MaxBatchesInFlight)
            throw Invalid($"batches_in_flight {request.BatchesInFlight} must be between 1 and {MaxBatchesInFlight} (0 means {DefaultBatchesInFlight})");
        if (request.MaxBatches < 0)
            throw Invalid($"max_batches {request.MaxBatches} must not be negative (0 means until cancelled)");
        using var lease = _tables.Lease(request.Sample.Table);
        var served = lease.Served;
        SampleMapping.CheckReplySize(served.Table.Spec.Columns, core, _identity.MaxSendMessageBytes);
        using var learner = _metrics.SampleStreamOpened(served.Name);

        _logger.LogInformation("Sample stream from {Peer} on table {Table}: {BatchSize} windows of {WindowLength} steps, {InFlight} in flight",
            context.Peer, served.Name, core.BatchSize, core.WindowLength, inFlight);
        // The producer gathers up to `inFlight` batches ahead while the writer sends; the bounded channel is the
        // flow control: when the learner stops reading, HTTP/2 stops the writer, the channel fills, and the
        // producer waits instead of gathering.
        var gathered = Channel.CreateBounded<GatherBuffer>(new BoundedChannelOptions(inFlight) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var producer = ProduceBatchesAsync(served, core, RandomFor(request.Sample), request.MaxBatches, gathered.Writer, context, _metrics, stop.Token);
        var reply = new SampleReplyEncoder();
        ulong sent = 0;
        try
        {
            await foreach (var buffer in gathered.Reader.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                try
                {
                    // The reply is copied from the gathered bytes into the response pipe before the write returns.
                    reply.Reset(buffer, sent);
                    await responses.WriteEncodedAsync(reply, context.CancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    served.Buffers.Return(buffer);
                }
                sent++;
            }
        }
        catch (ChannelClosedException)
        {
            // The producer failed; its own exception is rethrown below.
        }
        finally
        {
            stop.Cancel();
            await producer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            while (gathered.Reader.TryRead(out var left))
                served.Buffers.Return(left);
            _logger.LogInformation("Sample stream from {Peer} on table {Table} ended after {Batches} batches", context.Peer, served.Name, sent);
        }
        // The producer's failure (a bad request found by Core, a dropped table, a deadline) is the stream's status.
        await producer.ConfigureAwait(false);
    }

    private static async Task ProduceBatchesAsync(
        ServedTable served, CoreSampleRequest request, RandomStream random, long maxBatches,
        ChannelWriter<GatherBuffer> output, ServerCallContext context, GearMetrics metrics, CancellationToken stop)
    {
        try
        {
            for (long produced = 0; maxBatches == 0 || produced < maxBatches; produced++)
            {
                var buffer = served.Buffers.Rent(request.BatchSize, request.WindowLength);
                try
                {
                    await SampleIntoAsync(served, request, random, buffer.Batch, context, metrics, stop).ConfigureAwait(false);
                    await output.WriteAsync(buffer, stop).ConfigureAwait(false);
                }
                catch
                {
                    served.Buffers.Return(buffer);
                    throw;
                }
            }
            output.TryComplete();
        }
        catch (Exception e)
        {
            output.TryComplete(e);
            throw;
        }
    }

    /// <summary>Samples into <paramref name="batch"/>, waiting on the rate limiter up to the call's deadline.</summary>
    private static async Task SampleIntoAsync(
        ServedTable served, CoreSampleRequest request, RandomStream random, WindowBatch batch, ServerCallContext context,
        GearMetrics metrics, CancellationToken stop = default)
    {
        using var wait = CallWaits.Link(context, served);
        using var stopping = stop.Register(static state => ((CancellationTokenSource)state!).Cancel(), wait);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var sampling = served.Table.SampleAsync(request, random, batch, CallWaits.Remaining(context), wait.Token);
            var waited = !sampling.IsCompleted; // the rate limiter is the only thing SampleAsync waits for
            await sampling.ConfigureAwait(false);
            metrics.Sampled(served.Name, batch, Stopwatch.GetElapsedTime(started), waited);
        }
        catch (OperationCanceledException) when (served.Dropping.IsCancellationRequested)
        {
            throw CallWaits.Dropped(served);
        }
    }

    /// <summary>The selection randoms of one call: the caller's seed, or a fresh one.</summary>
    /// <summary>The selection randoms of a request: its seed, or a fresh random one when it gives none.</summary>
    internal static RandomStream RandomFor(WireSampleRequest request) =>
        new(request.Seed != 0 ? request.Seed : BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(sizeof(ulong))));

    private static GearException Invalid(string message) => new(GearErrorCode.InvalidArgument, message);
}
