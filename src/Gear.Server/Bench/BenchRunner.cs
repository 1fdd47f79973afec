namespace Gear.Server.Bench;

/// <summary>
/// Runs the chosen workloads against a <c>gear serve</c> child: starts it and the raw socket peer, fills the
/// tables, and measures each throughput workload right after its raw socket reference, so both see the same
/// machine at nearly the same moment.
/// </summary>
internal static class BenchRunner
{
    /// <summary>Runs <paramref name="workloads"/>, writing progress to <paramref name="log"/>.</summary>
    public static async Task<BenchReport> RunAsync(
        IReadOnlyList<BenchWorkload> workloads, TimeSpan warmup, TimeSpan duration, string command, TextWriter log, CancellationToken cancellation)
    {
        var tables = BenchTable.For(workloads);
        var starting = ServerProcess.StartAsync(tables, cancellation);
        using var raw = await RawSocketReference.StartAsync(cancellation);
        await using var server = await starting;
        await log.WriteLineAsync($"server pid {server.Id} at {server.GrpcAddress}; raw socket peer started");
        var run = new BenchRun(server.GrpcAddress, warmup, duration, cancellation);

        foreach (var table in tables.Where(t => t.FillSteps > 0))
        {
            var took = await TableFiller.FillAsync(run, table);
            await log.WriteLineAsync(
                $"filled {table.Name}: {table.FillSteps:N0} {table.Layout.Name} steps ({(double)table.FillSteps * table.Layout.StepBytes / 1e6:F0} MB) in {took.TotalSeconds:F1} s");
        }

        var throughputs = new List<ThroughputResult>();
        var latencies = new List<LatencyResult>();
        foreach (var workload in workloads)
        {
            var table = BenchTable.For(workload);
            var name = BenchWorkloadNames.Name(workload);
            switch (workload)
            {
                case BenchWorkload.W1Insert or BenchWorkload.W1InsertLogged:
                {
                    var reference = await raw.MeasureAsync(send: true, warmup, duration, cancellation);
                    var measured = await InsertWorkload.RunAsync(run, table);
                    var logged = table.WriteAheadLog ? ", write-ahead log (fsync per group commit)" : "";
                    throughputs.Add(new(name, $"W1 steps, {InsertWorkload.Actors} actor InsertStreams, {table.AppendSteps}-step appends{logged}",
                        measured, reference, "raw TCP send", InsertWorkload.Target));
                    break;
                }
                case BenchWorkload.W1Sample or BenchWorkload.W4Sample:
                {
                    var (batch, window) = workload == BenchWorkload.W1Sample ? (256, 1) : (32, 512);
                    var reference = await raw.MeasureAsync(send: false, warmup, duration, cancellation);
                    var measured = await SampleStreamWorkload.RunAsync(run, table, batch, window);
                    throughputs.Add(new(name, $"{table.Layout.Name} SampleStream, {batch} windows × {window}, 1 learner",
                        measured, reference, "raw TCP receive", SampleStreamWorkload.Target));
                    // The same stream over the TCP data plane, against a fresh reference taken just before it.
                    var planeReference = await raw.MeasureAsync(send: false, warmup, duration, cancellation);
                    var overPlane = await DataPlaneSampleWorkload.RunAsync(run, table, batch, window);
                    throughputs.Add(new($"{name}-dp", $"{table.Layout.Name} data plane (tcp), {batch} windows × {window}, 1 learner, {DataPlaneSampleWorkload.Credits} credits",
                        overPlane, planeReference, "raw TCP receive", DataPlaneSampleWorkload.Target(workload)));
                    break;
                }
                case BenchWorkload.W2Latency:
                    foreach (var learners in LatencyWorkload.LearnerCounts)
                        latencies.Add(await LatencyWorkload.RunAsync(run, table, learners));
                    break;
            }
            await log.WriteLineAsync($"{name} done");
        }

        var machine = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
        return new BenchReport(command, machine, warmup.TotalSeconds, duration.TotalSeconds, throughputs, latencies);
    }
}
