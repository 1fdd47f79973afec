using System.Diagnostics;

namespace Gear.Server.Bench;

/// <summary>
/// Bytes moved so far, added to by the workload's threads; the throughput is read from two snapshots, after the
/// warm-up and at the end, so the workload itself never looks at a clock.
/// </summary>
internal sealed class ByteCounter
{
    private long _bytes;

    /// <summary>Counts <paramref name="bytes"/> more.</summary>
    public void Add(long bytes) => Interlocked.Add(ref _bytes, bytes);

    /// <summary>Bytes counted so far.</summary>
    public long Read() => Interlocked.Read(ref _bytes);

    /// <summary>
    /// Waits out <paramref name="warmup"/>, then returns the bytes per second counted over the next
    /// <paramref name="duration"/> (timed with the high-resolution clock, not the delay's nominal length).
    /// </summary>
    public async Task<double> MeasureAsync(TimeSpan warmup, TimeSpan duration, CancellationToken cancellation)
    {
        await Task.Delay(warmup, cancellation);
        var before = Read();
        var start = Stopwatch.GetTimestamp();
        await Task.Delay(duration, cancellation);
        var after = Read();
        return (after - before) / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
