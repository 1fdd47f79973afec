using System.Security.Cryptography;
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
    /// <summary>What batches_in_flight 0 (SampleStream, data plane) stands for.</summary>
    public const int DefaultBatchesInFlight = 2;

    /// <summary>The largest batches_in_flight a stream may ask for.</summary>
    public const int MaxBatchesInFlight = 64;

    private async Task<SampleResponse> Sample(WireSampleRequest request, ServerCallContext context)
    {
        var core = SampleMapping.ToCore(request);
        using var lease = _tables.Lease(request.Table);
        SampleMapping.CheckReplySize(lease.Table.Spec.Columns, core, _identity.MaxSendMessageBytes);
        var buffer = lease.Served.Buffers.Rent(core.BatchSize, core.WindowLength);
        try
        {
            using var wait = CallWaits.Link(context, lease.Served);
            await SampleIntoAsync(lease.Served, core, RandomFor(request), buffer.Batch, hold: false, context, wait.Token, _metrics).ConfigureAwait(false);
            return SampleMapping.ToWire(buffer);
        }
        finally
        {
            lease.Served.Buffers.Return(buffer);
        }
    }

    /// <summary>
    /// Streams batches sampled held: each reply is encoded from the table's pages straight into the response
    /// pipe (the server's only copy of the bytes), the hold is released, and only then does the stream wait
    /// for the flush, so a learner that reads slowly or not at all holds no pages. With no gather left to
    /// run ahead, one loop does it all: the flush returns once the batch is in the socket, and the learner
    /// reads it out of its stream window while the loop samples and encodes the next. batches_in_flight is
    /// checked but keeps nothing: no batch waits gathered ahead here.
    /// </summary>
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

        _logger.LogInformation("Sample stream from {Peer} on table {Table}: {BatchSize} windows of {WindowLength} steps",
            context.Peer, served.Name, core.BatchSize, core.WindowLength);
        // Made once per stream: a batch allocates nothing here once the stream runs.
        var random = RandomFor(request.Sample);
        var held = served.Buffers.Rent(core.BatchSize, core.WindowLength);
        var reply = new SampleReplyEncoder();
        using var wait = CallWaits.Link(context, served);
        ulong sent = 0;
        try
        {
            for (; request.MaxBatches == 0 || sent < (ulong)request.MaxBatches; sent++)
            {
                await SampleIntoAsync(served, core, random, held.Batch, hold: true, context, wait.Token, _metrics).ConfigureAwait(false);
                ValueTask flushing;
                try
                {
                    reply.Reset(served.Table, held, sent);
                    flushing = responses.WriteEncodedAsync(reply, context.CancellationToken);
                }
                finally
                {
                    served.Table.ReleaseHeld(held.Batch);
                }
                await flushing.ConfigureAwait(false);
            }
        }
        finally
        {
            served.Buffers.Return(held);
            _logger.LogInformation("Sample stream from {Peer} on table {Table} ended after {Batches} batches", context.Peer, served.Name, sent);
        }
    }

    /// <summary>
    /// Samples into <paramref name="batch"/> (gathered, or with <paramref name="hold"/> held: metadata and mask
    /// only, the columns left in the table's pages until released), waiting on the rate limiter up to the
    /// call's deadline or until <paramref name="wait"/> (<see cref="CallWaits.Link"/>) fires.
    /// </summary>
    private static async Task SampleIntoAsync(
        ServedTable served, CoreSampleRequest request, RandomStream random, WindowBatch batch, bool hold, ServerCallContext context,
        CancellationToken wait, GearMetrics metrics)
    {
        try
        {
            await served.SampleAsync(metrics, request, random, batch, hold, CallWaits.Remaining(context), wait).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (served.Dropping.IsCancellationRequested)
        {
            throw CallWaits.Dropped(served);
        }
    }

    /// <summary>The selection randoms of a request: its seed, or a fresh random one when it gives none.</summary>
    internal static RandomStream RandomFor(WireSampleRequest request) =>
        new(request.Seed != 0 ? request.Seed : BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(sizeof(ulong))));

    private static GearException Invalid(string message) => new(GearErrorCode.InvalidArgument, message);
}
