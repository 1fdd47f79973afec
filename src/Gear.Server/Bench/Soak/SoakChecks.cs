using System.Globalization;

namespace Gear.Server.Bench.Soak;

/// <summary>The verdicts of issue 7's load part, judged from a soak's intervals.</summary>
public static class SoakChecks
{
    /// <summary>How far the server's memory may rise after the warm-up: 5% over the highest RSS of the warm-up's second half.</summary>
    public const double MemoryGrowthLimit = 0.05;

    /// <summary>The least throughput with the idle connections open, as a share of that without: within 10%.</summary>
    public const double IdleThroughputFloor = 0.9;

    /// <summary>Judges <paramref name="intervals"/> (at least one after the warm-up) and the run's error count.</summary>
    public static IReadOnlyList<SoakCheck> Judge(SoakOptions options, IReadOnlyList<SoakInterval> intervals, long totalErrors)
    {
        var checks = new List<SoakCheck>
        {
            new("errors", totalErrors == 0, string.Create(CultureInfo.InvariantCulture,
                $"{totalErrors} errors (non-OK statuses, failed or ended streams, failed idle calls) over {intervals[^1].EndSeconds:F0} s and the shutdown")),
            Memory(options, intervals),
            Limiter(intervals),
        };
        if (options.IdleConnections > 0)
        {
            checks.Add(IdleConnectionsOpen(options, intervals));
            checks.Add(IdleThroughput(intervals));
        }
        return checks;
    }

    private static SoakCheck Memory(SoakOptions options, IReadOnlyList<SoakInterval> intervals)
    {
        // The yardstick is the highest RSS of the warm-up's second half, not one sample: by then the heap has
        // reached its working range, and RSS swings within it as the collector compacts and returns memory
        // (a sample taken in such a trough would make the next swing up look like growth). What is judged is
        // where memory settles, the highest RSS of the run's last quarter: a leak grows to the end, while a burst
        // the server gives back (the receive blocks of a thousand connections closing at once, released by the
        // buffer pool's trim within two of its periods) is not growth. The peak is reported beside it.
        var warmup = intervals.Take(options.WarmupIntervals).ToArray();
        var baseline = warmup.Skip(warmup.Length / 2).Max(i => i.ServerRssBytes);
        var afterWarmup = intervals.Skip(options.WarmupIntervals).ToArray();
        var peak = afterWarmup.Max(i => i.ServerRssBytes);
        var lastQuarter = afterWarmup.Skip(afterWarmup.Length - Math.Max(1, afterWarmup.Length / 4)).ToArray();
        var settled = lastQuarter.Max(i => i.ServerRssBytes);
        var growth = (double)settled / baseline - 1;
        return new("memory", growth <= MemoryGrowthLimit, string.Create(CultureInfo.InvariantCulture,
            $"server RSS settled at {settled / 1e6:F1} MB (the highest of the last {lastQuarter.Length} intervals), " +
            $"{growth:+0.0%;-0.0%} on the warm-up's {baseline / 1e6:F1} MB (the highest of its second half; limit {MemoryGrowthLimit:+0%}); " +
            $"peak {peak / 1e6:F1} MB after the warm-up; warm-up = the first {options.WarmupIntervals} intervals ({intervals[options.WarmupIntervals - 1].EndSeconds:F0} s)"));
    }

    private static SoakCheck Limiter(IReadOnlyList<SoakInterval> intervals)
    {
        var last = intervals[^1].Limiter;
        var low = intervals.Min(i => i.Limiter.Diff);
        var high = intervals.Max(i => i.Limiter.Diff);
        var ratio = last.Inserts > 0 ? (double)last.Samples / last.Inserts : 0;
        return new("rate-limiter", low >= last.MinDiff && high <= last.MaxDiff, string.Create(CultureInfo.InvariantCulture,
            $"inserts × {last.SamplesPerInsert:G} − samples stayed in [{low:F0}, {high:F0}], bounds [{last.MinDiff:F0}, {last.MaxDiff:F0}]; " +
            $"{last.Samples:N0} samples / {last.Inserts:N0} inserts = {ratio:F3} (target {last.SamplesPerInsert:G})"));
    }

    private static SoakCheck IdleConnectionsOpen(SoakOptions options, IReadOnlyList<SoakInterval> intervals)
    {
        var fewest = intervals.Where(i => i.Phase == SoakPhases.IdleConnections).Min(i => i.GrpcConnections);
        return new("idle-connections", fewest >= options.IdleConnections, string.Create(CultureInfo.InvariantCulture,
            $"the server held at least {fewest} gRPC connections through the idle phase ({options.IdleConnections} idle + " +
            $"{options.Actors + options.Learners} working)"));
    }

    private static SoakCheck IdleThroughput(IReadOnlyList<SoakInterval> intervals)
    {
        var with = intervals.Where(i => i.Phase == SoakPhases.IdleConnections).ToArray();
        var without = intervals.Where(i => i.Phase == SoakPhases.Load).ToArray();
        var inserts = Mean(with, i => i.InsertStepsPerSecond) / Mean(without, i => i.InsertStepsPerSecond);
        var samples = Mean(with, i => i.SampleWindowsPerSecond) / Mean(without, i => i.SampleWindowsPerSecond);
        // Only a slowdown is an effect to guard against; a faster phase is the machine's noise.
        return new("idle-throughput", inserts >= IdleThroughputFloor && samples >= IdleThroughputFloor, string.Create(CultureInfo.InvariantCulture,
            $"with the idle connections: inserts {inserts:P1}, samples {samples:P1} of the throughput without them (floor {IdleThroughputFloor:P0})"));
    }

    // Time-weighted, so that an interval stretched by a slow tick counts for what it lasted.
    private static double Mean(IReadOnlyList<SoakInterval> intervals, Func<SoakInterval, double> rate) =>
        intervals.Sum(i => rate(i) * i.Seconds) / intervals.Sum(i => i.Seconds);
}
