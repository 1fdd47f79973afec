using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Gear.Server.Bench.Soak;

/// <summary>
/// Runs a soak: starts a <c>gear serve</c> child with the soak table, opens the idle connections (if any), puts
/// the load on, and every report interval takes the clients' counters and the server's snapshot. The idle
/// connections are open from the start and closed after the "idle" phase, so that the memory they cost is
/// part of the warm-up's baseline, not counted as growth.
/// </summary>
internal static class SoakRunner
{
    // Descriptors each side needs besides its connections: listeners, pipes, the runtime's own files.
    private const int SpareFiles = 256;

    /// <summary>Runs <paramref name="options"/>, printing each interval to <paramref name="output"/> and progress to <paramref name="log"/>.</summary>
    public static async Task<SoakReport> RunAsync(SoakOptions options, string command, TextWriter output, TextWriter log, CancellationToken cancellation)
    {
        var table = BenchTable.Soak;
        await using var server = await ServerProcess.StartAsync([table], cancellation);
        await log.WriteLineAsync($"server pid {server.Id} at {server.GrpcAddress}, admin {server.AdminAddress}");
        CheckOpenFiles(options, server.Id);
        await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"warm-up: the first {options.WarmupIntervals} of {options.Intervals} intervals ({options.WarmupIntervals * options.ReportInterval.TotalSeconds:0.###} s)"));

        var run = new BenchRun(server.GrpcAddress, TimeSpan.Zero, options.Duration, cancellation);
        var errors = new SoakErrors();
        using var observer = new ServerObserver(server.Id, server.AdminAddress, table.Name);
        var idle = options.IdleConnections > 0 ? await IdleConnections.OpenAsync(run, options.IdleConnections, errors, cancellation) : null;
        try
        {
            if (idle is not null)
                await log.WriteLineAsync($"{options.IdleConnections} idle connections open");
            var intervals = new List<SoakInterval>(options.Intervals);
            await using (var load = SoakLoad.Start(run, table, options, errors))
            {
                await output.WriteLineAsync(SoakReportWriter.Header);
                var previous = new Totals(0, 0, 0, (await observer.ReadAsync(cancellation)).Limiter);
                var started = Stopwatch.GetTimestamp();
                var lastTick = started;
                using var timer = new PeriodicTimer(options.ReportInterval);
                for (var index = 0; index < options.Intervals; index++)
                {
                    await timer.WaitForNextTickAsync(cancellation);
                    // The clients' counters first, at the tick; the server's snapshot after, since it takes round trips.
                    var tick = Stopwatch.GetTimestamp();
                    var (inserted, sampled, failed) = (load.Inserted.Read(), load.Sampled.Read(), errors.Count);
                    var (ack, batch) = (load.InsertAck.Take(), load.SampleBatch.Take());
                    var snapshot = await observer.ReadAsync(cancellation);
                    var seconds = Stopwatch.GetElapsedTime(lastTick, tick).TotalSeconds;
                    var stepBytes = (double)table.Layout.StepBytes;
                    var limiterInserts = (double)(snapshot.Limiter.Inserts - previous.Limiter.Inserts);
                    var interval = new SoakInterval(index, Stopwatch.GetElapsedTime(started, tick).TotalSeconds, seconds, options.Phase(index),
                        (inserted - previous.Inserted) / stepBytes / seconds, (inserted - previous.Inserted) / seconds, ack,
                        (sampled - previous.Sampled) / stepBytes / seconds, (sampled - previous.Sampled) / seconds, batch,
                        failed - previous.Errors, snapshot.RssBytes, snapshot.GrpcConnections, snapshot.Limiter,
                        limiterInserts > 0 ? (snapshot.Limiter.Samples - previous.Limiter.Samples) / limiterInserts : 0);
                    intervals.Add(interval);
                    await output.WriteLineAsync(SoakReportWriter.Line(interval));
                    (previous, lastTick) = (new Totals(inserted, sampled, failed, snapshot.Limiter), tick);

                    if (idle is not null && index + 1 == options.WarmupIntervals + options.IdleIntervals)
                    {
                        await idle.DisposeAsync();
                        idle = null;
                        await log.WriteLineAsync("idle connections closed");
                    }
                }
                try
                {
                    await load.StopAsync(TimeSpan.FromSeconds(30));
                }
                catch (TimeoutException)
                {
                    errors.Add("shutdown", "the actors or learners did not stop within 30 s");
                }
            }

            var settings = new SoakSettings(options.Duration.TotalSeconds, options.ReportInterval.TotalSeconds, options.WarmupIntervals,
                options.Actors, options.StreamLearners, options.DataPlaneLearners, options.IdleConnections, Describe(table));
            var machine = $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
            return new SoakReport(command, machine, settings, intervals, errors.Count, errors.First,
                SoakChecks.Judge(options, intervals, errors.Count));
        }
        finally
        {
            if (idle is not null)
                await idle.DisposeAsync();
        }
    }

    /// <summary>
    /// Fails early when either process may not open the connections the soak needs (each idle connection is a
    /// descriptor on both sides): better a clear message than a run of accept errors.
    /// </summary>
    private static void CheckOpenFiles(SoakOptions options, int serverId)
    {
        long needed = options.IdleConnections + options.Actors + 2L * options.Learners + SpareFiles;
        foreach (var (who, id) in new[] { ("this process", Environment.ProcessId), ("the server", serverId) })
        {
            if (ServerObserver.OpenFilesLimit(id) is { } limit && limit < needed)
                throw new InvalidOperationException(
                    $"{who} may open {limit} files, the soak needs about {needed}: raise the limit (ulimit -n) or use fewer --idle-connections");
        }
    }

    private static string Describe(BenchTable table)
    {
        var ratio = table.RateLimiter!.SampleToInsertRatio;
        return string.Create(CultureInfo.InvariantCulture,
            $"{table.Name}: {table.Layout.Name} steps, {table.CapacitySteps:N0} steps, trajectories of {table.TrajectorySteps}, " +
            $"prioritized (α {BenchTable.PriorityExponent}), batches of {SoakLoad.BatchSize} transitions, " +
            $"priority updates every {SoakLoad.UpdatePrioritiesEvery} SampleStream batches, SampleToInsertRatio {ratio.SamplesPerInsert:G} (min size {ratio.MinSizeToSample:N0}, error buffer {ratio.ErrorBuffer:N0})");
    }

    // The clients' counters and the limiter at the previous tick.
    private readonly record struct Totals(long Inserted, long Sampled, long Errors, LimiterState Limiter);
}
