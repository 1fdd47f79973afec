using System.Diagnostics;
using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Server.Bench;

/// <summary>
/// One learner reading a SampleStream of fixed-size batches (W1 transitions, W4 long windows), parsed into
/// SampleResponse messages as a real learner gets them: the parser copies each column into its own array.
/// </summary>
internal static class SampleStreamWorkload
{
    /// <summary>The least ratio to the raw receive throughput the issue asks for.</summary>
    public const double Target = 0.4;

    /// <summary>Step bytes received per second: B × L × step bytes of every batch.</summary>
    public static Task<double> RunAsync(BenchRun run, BenchTable table, int batchSize, int windowLength) =>
        LearnerMeasurement.RunAsync(run, (channel, received, stop) => ReadAsync(channel, table, batchSize, windowLength, received, stop));

    /// <summary>
    /// One learner: reads batches until <paramref name="stop"/> fires, counting their step bytes, and records
    /// how long it waited for each batch (what a learner that trains between batches would see as latency).
    /// </summary>
    internal static async Task ReadAsync(
        GrpcChannel channel, BenchTable table, int batchSize, int windowLength, ByteCounter received, CancellationToken stop,
        LatencyRecorder? batchLatency = null)
    {
        var request = new SampleStreamRequest
        {
            Sample = table.SampleRequest(batchSize, windowLength),
        };
        using var call = channel.ServerStreaming(ReplayMethods.SampleStream, request, new CallOptions(CancellationToken: stop));
        try
        {
            for (var asked = Stopwatch.GetTimestamp(); await call.ResponseStream.MoveNext(); asked = Stopwatch.GetTimestamp())
            {
                batchLatency?.Record(asked);
                var batch = call.ResponseStream.Current;
                if (batch.BatchSize != batchSize || batch.WindowLength != windowLength || batch.Columns.Count != table.Layout.Columns.Count)
                    throw new InvalidOperationException(
                        $"asked for {batchSize} windows of {windowLength} steps in {table.Layout.Columns.Count} columns, " +
                        $"got {batch.BatchSize} of {batch.WindowLength} in {batch.Columns.Count}");
                received.Add((long)batchSize * windowLength * table.Layout.StepBytes);
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && stop.IsCancellationRequested)
        {
            // The end of the measurement.
        }
    }
}
