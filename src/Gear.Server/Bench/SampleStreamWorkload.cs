using System.Diagnostics;
using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Server.Bench;

/// <summary>
/// One learner reading a SampleStream of fixed-size batches (W1 transitions, W4 long windows) as Gear.Client's
/// BatchStream does: each reply is read into a pooled array that the batch keeps (see <see cref="ReceivedBatch"/>).
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
    /// With <paramref name="updatePrioritiesEvery"/> &gt; 0, every that many batches it sends new priorities for
    /// the batch's keys and waits for the reply, as a prioritized learner does after training on a batch.
    /// </summary>
    internal static async Task ReadAsync(
        GrpcChannel channel, BenchTable table, int batchSize, int windowLength, ByteCounter received, CancellationToken stop,
        LatencyRecorder? batchLatency = null, int updatePrioritiesEvery = 0)
    {
        var request = new SampleStreamRequest
        {
            Sample = table.SampleRequest(batchSize, windowLength),
        };
        var update = new UpdatePrioritiesRequest { Table = table.Name };
        var batches = 0L;
        using var replies = new ReceivedBatch();
        using var call = channel.ServerStreaming(ReplayMethods.SampleStream, request, replies.Take, new CallOptions(CancellationToken: stop));
        try
        {
            for (var asked = Stopwatch.GetTimestamp(); await call.ResponseStream.MoveNext(); asked = Stopwatch.GetTimestamp())
            {
                batchLatency?.Record(asked);
                var batch = call.ResponseStream.Current;
                if (batch.BatchSize != batchSize || batch.WindowLength != windowLength || batch.ColumnCount != table.Layout.Columns.Count)
                    throw new InvalidOperationException(
                        $"asked for {batchSize} windows of {windowLength} steps in {table.Layout.Columns.Count} columns, " +
                        $"got {batch.BatchSize} of {batch.WindowLength} in {batch.ColumnCount}");
                received.Add((long)batchSize * windowLength * table.Layout.StepBytes);
                if (updatePrioritiesEvery > 0 && ++batches % updatePrioritiesEvery == 0)
                    await UpdatePrioritiesAsync(channel, update, batch, stop);
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && stop.IsCancellationRequested)
        {
            // The end of the measurement.
        }
    }

    // The request is reused: its repeated fields are cleared and refilled, so an update allocates only its reply.
    private static async Task UpdatePrioritiesAsync(GrpcChannel channel, UpdatePrioritiesRequest update, ReceivedBatch batch, CancellationToken stop)
    {
        update.Keys.Clear();
        update.Keys.AddRange(batch.Keys);
        update.Priorities.Clear();
        foreach (var key in batch.Keys)
            update.Priorities.Add(StandInPriority(key));
        var reply = await channel.UnaryAsync(ReplayMethods.UpdatePriorities, update, new CallOptions(CancellationToken: stop));
        // Keys evicted since the batch was drawn are ignored, not lost: together they account for every key sent.
        if (reply.Applied + reply.Ignored != update.Keys.Count)
            throw new InvalidOperationException($"sent {update.Keys.Count} priorities, {reply.Applied} applied and {reply.Ignored} ignored");
    }

    // A TD error's stand-in: 1 to 8, spread over the keys by a multiplicative hash, the same each time a key comes back.
    private static double StandInPriority(ulong key) => 1 + ((key * 0x9E3779B97F4A7C15UL) >> 61);
}
