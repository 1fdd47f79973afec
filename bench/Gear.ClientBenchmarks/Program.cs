using System.Runtime.InteropServices;
using Gear.ClientBenchmarks;
using Gear.Samples.CartPole;

// Client-SDK benchmarks (bench/RESULTS.md, "Client SDK"): what Gear.Client costs a learner against the raw
// SampleStream, and sharded sampling over 1, 2 and 3 local `gear serve` children.
if (ClientBenchOptions.Parse(args) is not { } options)
    return 2;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var loadBefore = ClientBenchReport.LoadAverage();
var servers = new List<GearServerProcess>();
try
{
    // One server for the overhead measurements (the first); three for the sharded ones. Started one after
    // another: each writes and reads the same temporary config file name.
    var count = options.RunsSharded ? 3 : 1;
    for (var i = 0; i < count; i++)
        servers.Add(await GearServerProcess.StartAsync(TimeSpan.FromSeconds(60)));
    Console.WriteLine($"started {count} gear serve child(ren): {string.Join(", ", servers.Select(s => s.Address))}");

    var rows = new List<MeasurementRow>();
    var ratios = new List<RatioRow>();
    var notes = new List<string>();
    if (options.RunsOverhead)
        await OverheadBenchmark.RunAsync(servers[0].Address, options, rows, ratios, Console.Out, cancel.Token);
    if (options.RunsSharded)
    {
        await ShardedBenchmark.RunAsync([.. servers.Select(s => s.Address)], options, rows, ratios, Console.Out, cancel.Token);
        notes.Add($"every server and the client share this machine's {Environment.ProcessorCount} cores: the sharded figures show what one client gets from several servers here, not how throughput scales with servers that have cores of their own");
    }

    var report = new ClientBenchReport(
        "dotnet run -c Release --project bench/Gear.ClientBenchmarks -- " + string.Join(' ', args),
        $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}",
        loadBefore, ClientBenchReport.LoadAverage(), options.WarmupSeconds, options.DurationSeconds,
        notes, rows, ratios, Measurement.Sink);
    ReportTable.Write(report, Console.Out);
    if (options.JsonPath is { } path)
        await report.WriteJsonAsync(path);
    return 0;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("cancelled");
    return 130;
}
finally
{
    foreach (var server in servers)
        server.Dispose();
}
