using System.Diagnostics;
using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Server.Bench;

/// <summary>
/// W2 unary Sample latency: learners each call Sample (256 transitions, uniform) as soon as the last call
/// returned, each over its own connection; every call's latency during the measurement is kept.
/// </summary>
internal static class LatencyWorkload
{
    /// <summary>Windows per call.</summary>
    public const int BatchSize = 256;

    /// <summary>The numbers of concurrent learners measured.</summary>
    public static IReadOnlyList<int> LearnerCounts { get; } = [1, 8];

    /// <summary>Latency percentiles over all learners' calls.</summary>
    public static async Task<LatencyResult> RunAsync(BenchRun run, BenchTable table, int learners)
    {
        var request = new SampleRequest { Table = table.Name, BatchSize = BatchSize, WindowLength = 1, Placement = WindowPlacement.Start };
        var recording = new Recording();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(run.Cancellation);
        var channels = Enumerable.Range(0, learners).Select(_ => run.NewChannel()).ToArray();
        var latencies = new List<double>[learners];
        try
        {
            var callers = new Task[learners];
            for (var i = 0; i < learners; i++)
            {
                var (channel, mine) = (channels[i], latencies[i] = new List<double>(1 << 16));
                callers[i] = Task.Run(() => CallAsync(channel, request, mine, recording, stop.Token));
            }
            await Task.Delay(run.Warmup, run.Cancellation);
            var start = Stopwatch.GetTimestamp();
            recording.On = true;
            await Task.Delay(run.Duration, run.Cancellation);
            recording.On = false;
            var elapsed = Stopwatch.GetElapsedTime(start);
            await stop.CancelAsync();
            await Task.WhenAll(callers);

            var all = latencies.SelectMany(l => l).ToArray();
            if (all.Length == 0)
                throw new InvalidOperationException($"no Sample call of {learners} learners completed within {run.Duration.TotalSeconds} s");
            var (p50, p99) = Percentiles.Of(all, 50, 99) is [var median, var tail] ? (median, tail) : default;
            return new LatencyResult(BenchWorkloadNames.Name(BenchWorkload.W2Latency), learners, all.Length, all.Length / elapsed.TotalSeconds, p50, p99);
        }
        finally
        {
            foreach (var channel in channels)
                channel.Dispose();
        }
    }

    private static async Task CallAsync(GrpcChannel channel, SampleRequest request, List<double> latencies, Recording recording, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var start = Stopwatch.GetTimestamp();
            var reply = await channel.UnaryAsync(ReplayMethods.Sample, request);
            var microseconds = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            if (reply.BatchSize != request.BatchSize)
                throw new InvalidOperationException($"asked for {request.BatchSize} windows, got {reply.BatchSize}");
            // Only calls that end inside the measurement count; the warm-up's and the stop's are dropped.
            if (recording.On)
                latencies.Add(microseconds);
        }
    }

    private sealed class Recording
    {
        private volatile bool _on;

        public bool On { get => _on; set => _on = value; }
    }
}
