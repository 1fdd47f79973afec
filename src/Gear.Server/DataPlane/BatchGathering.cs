using System.Diagnostics;
using Gear.Core.Errors;
using Gear.Core.Sampling;
using Gear.Protocol.Grpc;
using Gear.Server.Admin.Metrics;
using Gear.Server.Service;

namespace Gear.Server.DataPlane;

/// <summary>What every data-plane session does per batch, whatever carries it: sample, count, and describe a failure for the end frame.</summary>
internal static class BatchGathering
{
    /// <summary>
    /// Samples one batch of <paramref name="request"/> into <paramref name="buffer"/> and counts it: gathered, or
    /// with <paramref name="hold"/> held (metadata and mask only; the columns stay in the table's pages until the
    /// batch is released).
    /// </summary>
    public static async Task SampleAsync(GearMetrics metrics, ServedTable served, SampleRequest request, RandomStream random, GatherBuffer buffer, bool hold, CancellationToken stop)
    {
        var started = Stopwatch.GetTimestamp();
        var sampling = hold
            ? served.Table.SampleHeldAsync(request, random, buffer.Batch, Timeout.InfiniteTimeSpan, stop)
            : served.Table.SampleAsync(request, random, buffer.Batch, Timeout.InfiniteTimeSpan, stop);
        var waited = !sampling.IsCompleted;
        await sampling.ConfigureAwait(false);
        metrics.Sampled(served.Name, buffer.Batch, Stopwatch.GetElapsedTime(started), waited);
    }

    /// <summary>The end frame's status for what stopped a stream early.</summary>
    public static (int Code, string Message) Describe(Exception failure, ServedTable served) => failure switch
    {
        GearException gear => ((int)gear.Code, gear.Message),
        RpcException rpc => ((int)rpc.StatusCode, rpc.Status.Detail),
        OperationCanceledException when served.Dropping.IsCancellationRequested => ((int)StatusCode.Unavailable, $"table '{served.Name}' was dropped"),
        OperationCanceledException => ((int)StatusCode.Unavailable, "the server is shutting down"),
        _ => ((int)StatusCode.Internal, failure.Message),
    };
}
