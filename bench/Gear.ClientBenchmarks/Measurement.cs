namespace Gear.ClientBenchmarks;

/// <summary>One reader run on its own task: warmed up, measured, then stopped.</summary>
internal static class Measurement
{
    // Where the readers' touched sums go, so that the reads they stand for cannot be optimised away.
    private static double s_sink;

    /// <summary>The touched sums so far (printed in the JSON report, for the same reason).</summary>
    public static double Sink => Volatile.Read(ref s_sink);

    /// <summary>
    /// Runs <paramref name="reader"/> for <paramref name="warmup"/> + <paramref name="duration"/> and returns
    /// its rate over the last <paramref name="duration"/>. A reader that fails fails the measurement.
    /// </summary>
    public static async Task<Throughput> RunAsync(
        Func<BatchCounter, CancellationToken, Task<double>> reader, TimeSpan warmup, TimeSpan duration, CancellationToken cancellation)
    {
        var counter = new BatchCounter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var reading = Task.Run(() => reader(counter, stop.Token), CancellationToken.None);
        Throughput measured;
        try
        {
            // A reader that fails early ends the wait at once instead of after the whole duration.
            var measuring = counter.MeasureAsync(warmup, duration, cancellation);
            if (await Task.WhenAny(measuring, reading) == reading)
            {
                await reading; // throws its failure, if it failed
                throw new InvalidOperationException("the reader's stream ended before the measurement did");
            }
            measured = await measuring;
        }
        finally
        {
            await stop.CancelAsync();
        }
        var sum = await reading;
        Volatile.Write(ref s_sink, s_sink + sum);
        return measured;
    }
}
