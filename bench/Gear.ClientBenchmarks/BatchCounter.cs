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
    /// (timed with the high-resolution clock, not the delay's nominal length), with the CPU time this process
    /// (the client: the servers are other processes) spent per batch meanwhile.
    /// </summary>
    public async Task<Throughput> MeasureAsync(TimeSpan warmup, TimeSpan duration, CancellationToken cancellation)
    {
        await Task.Delay(warmup, cancellation);
        var (batches, bytes) = (Interlocked.Read(ref _batches), Interlocked.Read(ref _bytes));
        var cpu = Environment.CpuUsage.TotalTime;
        var start = Stopwatch.GetTimestamp();
        await Task.Delay(duration, cancellation);
        var (batchesAfter, bytesAfter) = (Interlocked.Read(ref _batches), Interlocked.Read(ref _bytes));
        var cpuAfter = Environment.CpuUsage.TotalTime;
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var counted = batchesAfter - batches;
        return new Throughput(
            counted / seconds, (bytesAfter - bytes) / seconds / 1e6,
            counted > 0 ? (cpuAfter - cpu).TotalMicroseconds / counted : 0);
    }
}

/// <summary>
/// A measured rate: batches per second, step megabytes (10^6 bytes) per second, and the client process's CPU
/// microseconds per batch. The last is what the SDK adds to a learner, and it is steadier than the rates on a
/// machine whose other work moves the throughput from one measurement to the next.
/// </summary>
internal readonly record struct Throughput(double BatchesPerSecond, double MegabytesPerSecond, double ClientCpuMicrosecondsPerBatch);
