using Gear.Protocol.Grpc;

namespace Gear.Server.Bench;

/// <summary>
/// How the sample workloads measure one learner: it reads on its own task, over a fresh channel, counting
/// received bytes, while the counter is sampled over the warm-up and the measured duration; then it is stopped.
/// </summary>
internal static class LearnerMeasurement
{
    /// <summary>Bytes per second that <paramref name="read"/> reports over <see cref="BenchRun.Duration"/>.</summary>
    /// <param name="run">The run's timing, cancellation and server.</param>
    /// <param name="read">The learner: reads until its token fires, adding what it received to the counter.</param>
    public static async Task<double> RunAsync(BenchRun run, Func<GrpcChannel, ByteCounter, CancellationToken, Task> read)
    {
        var received = new ByteCounter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(run.Cancellation);
        using var channel = run.NewChannel();
        var learner = Task.Run(() => read(channel, received, stop.Token));
        double bytesPerSecond;
        try
        {
            bytesPerSecond = await received.MeasureAsync(run.Warmup, run.Duration, run.Cancellation);
        }
        finally
        {
            await stop.CancelAsync();
        }
        await learner;
        return bytesPerSecond;
    }
}
