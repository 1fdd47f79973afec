namespace Gear.Server.Bench;

/// <summary>W1 inserts: concurrent actors, each with its own connection and InsertStream.</summary>
internal static class InsertWorkload
{
    /// <summary>Actor streams inserting at once.</summary>
    public const int Actors = 4;

    /// <summary>The least ratio to the raw send throughput the issue asks for.</summary>
    public const double Target = 0.5;

    /// <summary>Committed step bytes per second, counted from the server's acknowledgements.</summary>
    public static async Task<double> RunAsync(BenchRun run, BenchTable table)
    {
        var committed = new ByteCounter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(run.Cancellation);
        var channels = Enumerable.Range(0, Actors).Select(_ => run.NewChannel()).ToArray();
        try
        {
            var actors = channels.Select(channel => Task.Run(() => ActorStream.RunAsync(channel, table, 0, committed, stop.Token))).ToArray();
            double bytesPerSecond;
            try
            {
                bytesPerSecond = await committed.MeasureAsync(run.Warmup, run.Duration, run.Cancellation);
            }
            finally
            {
                await stop.CancelAsync();
            }
            await Task.WhenAll(actors);
            return bytesPerSecond;
        }
        finally
        {
            foreach (var channel in channels)
                channel.Dispose();
        }
    }
}
