using System.Diagnostics;

namespace Gear.ClientBenchmarks;

/// <summary>
/// Batches and step bytes a reader has received, counted by the reader's thread and read as two snapshots
/// (after the warm-up and at the end), so the reader itself never looks at a clock.
/// </summary>
internal sealed class BatchCounter
{
    private long _batches;
    private long _bytes;

    /// <summary>Counts one batch of <paramref name="bytes"/> step bytes.</summary>
    public void Add(long bytes)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _bytes, bytes);
    }

    /// <summary>
    /// Waits out <paramref name="warmup"/>, then returns the rates over the next <paramref name="duration"/>
    /// (timed with the high-resolution clock, not the delay's nominal length).
    /// </summary>
    public async Task<Throughput> MeasureAsync(TimeSpan warmup, TimeSpan duration, CancellationToken cancellation)
    {
        await Task.Delay(warmup, cancellation);
        var (batches, bytes) = (Interlocked.Read(ref _batches), Interlocked.Read(ref _bytes));
        var start = Stopwatch.GetTimestamp();
        await Task.Delay(duration, cancellation);
        var (batchesAfter, bytesAfter) = (Interlocked.Read(ref _batches), Interlocked.Read(ref _bytes));
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return new Throughput((batchesAfter - batches) / seconds, (bytesAfter - bytes) / seconds / 1e6);
    }
}

/// <summary>A measured rate: batches per second and step megabytes (10^6 bytes) per second.</summary>
internal readonly record struct Throughput(double BatchesPerSecond, double MegabytesPerSecond);
