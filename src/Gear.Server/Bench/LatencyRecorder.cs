using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Gear.Server.Bench;

/// <summary>Median and tail of the latencies recorded over one interval, in microseconds (0 when none).</summary>
/// <param name="Count">Latencies recorded.</param>
/// <param name="P50Microseconds">Median.</param>
/// <param name="P99Microseconds">99th percentile.</param>
public sealed record LatencySummary(long Count, double P50Microseconds, double P99Microseconds);

/// <summary>
/// Latencies recorded by many tasks (actors, learners) and taken out interval by interval by one reader. Two
/// lists are swapped on each take, so recording allocates nothing once the lists have grown to an interval's
/// worth; a lock is cheap next to the network round trip each latency measures.
/// </summary>
internal sealed class LatencyRecorder
{
    private readonly Lock _lock = new();
    private List<double> _recording = new(1 << 12);
    private List<double> _spare = new(1 << 12);

    /// <summary>Records the time since <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public void Record(long startTimestamp)
    {
        var microseconds = Stopwatch.GetElapsedTime(startTimestamp).TotalMicroseconds;
        lock (_lock)
            _recording.Add(microseconds);
    }

    /// <summary>The percentiles of what was recorded since the last take. Only one caller may take at a time.</summary>
    public LatencySummary Take()
    {
        List<double> taken;
        lock (_lock)
        {
            taken = _recording;
            _recording = _spare;
        }
        var summary = taken.Count == 0
            ? new LatencySummary(0, 0, 0)
            : Percentiles.Of(CollectionsMarshal.AsSpan(taken), 50, 99) is [var p50, var p99]
                ? new LatencySummary(taken.Count, p50, p99)
                : throw new UnreachableException();
        taken.Clear();
        _spare = taken;
        return summary;
    }
}
