using System.CommandLine;
using Gear.Server.Bench.Soak;
using Gear.Server.Hosting;

namespace Gear.Server.Bench;

/// <summary>
/// The <c>gear bench</c> command: the end-to-end load generator. It starts a <c>gear serve</c> child on
/// loopback, runs the chosen workloads against it, and reports each throughput as a ratio to a raw loopback
/// socket measured in the same run (DESIGN.md "Benchmarks"). <c>gear bench raw-peer</c> (hidden) is that
/// reference's far end; <c>gear bench backends</c> compares the compute backends in process (<see cref="BackendBench"/>);
/// <c>gear bench soak</c> is the long load test (<see cref="SoakCommand"/>).
/// </summary>
public static class BenchCommand
{
    /// <summary>Exit code after Ctrl-C (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;

    private static readonly Option<double> DurationOption = new("--duration")
    { HelpName = "seconds", Description = "How long each workload is measured (default 5).", DefaultValueFactory = _ => 5 };
    private static readonly Option<double> WarmupOption = new("--warmup")
    { HelpName = "seconds", Description = "How long each workload runs before it is measured (default 1).", DefaultValueFactory = _ => 1 };
    private static readonly Option<string?> RowsOption = new("--rows")
    {
        HelpName = "row,row",
        Description = "gear bench backends: which rows to run, comma-separated (gather workloads such as w4-dev-dev, prioritized, selection; default all).",
    };
    private static readonly Option<string> WorkloadOption = new("--workload")
    {
        HelpName = string.Join('|', BenchWorkloadNames.Accepted),
        Description = "Which workload to run (default all).",
        DefaultValueFactory = _ => BenchWorkloadNames.All,
    };
    private static readonly Option<string> JsonOption = new("--json")
    { HelpName = "path", Description = "Also write the results as JSON to this file." };
    private static readonly Option<int> PortOption = new("--port")
    { HelpName = "port", Description = "Loopback port to listen on (0: a free one, printed).", DefaultValueFactory = _ => 0 };

    /// <summary>Creates the command with its hidden <c>raw-peer</c> subcommand.</summary>
    public static Command Create()
    {
        var rawPeer = new Command("raw-peer", "The raw socket reference's far end (started by gear bench itself).") { PortOption };
        rawPeer.Hidden = true;
        rawPeer.SetAction((parse, cancellation) => RawPeer.RunAsync(parse.GetValue(PortOption), Console.Out, cancellation));

        var backends = new Command("backends",
            "Compare the CPU and CUDA backends in process: W1–W4 gathers and prioritized selection, with the device's copy bandwidths as references.")
        { DurationOption, JsonOption, RowsOption };
        backends.SetAction(async (parse, cancellation) =>
        {
            var duration = parse.GetValue(DurationOption);
            if (!(duration > 0 && duration <= 3600))
                return await UsageAsync($"--duration {duration} must be more than 0 and at most 3600 seconds");
            var rows = parse.GetValue(RowsOption) is { } list
                ? list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal)
                : null;
            if (rows?.FirstOrDefault(row => !BackendBench.RowNames.Contains(row)) is { } unknown)
                return await UsageAsync($"--rows names '{unknown}', which is not one of {string.Join(", ", BackendBench.RowNames)}");
            if (rows is { Count: 0 })
                return await UsageAsync($"--rows names no row; the rows are {string.Join(", ", BackendBench.RowNames)}");
            var report = BackendBench.Run(TimeSpan.FromSeconds(duration), Console.Error, rows);
            Console.Out.Write(BackendBenchWriter.Table(report));
            if (parse.GetValue(JsonOption) is { } json)
                await File.WriteAllTextAsync(json, BackendBenchWriter.Json(report), cancellation);
            return ExitCodes.Ok;
        });

        var command = new Command("bench",
            "Run the service benchmarks (W1 inserts, W1 and W4 sample streams, W2 sample latency) against a gear serve child on loopback.")
        {
            DurationOption, WarmupOption, WorkloadOption, JsonOption, rawPeer, backends, SoakCommand.Create(),
        };
        command.SetAction((parse, _) => RunAsync(parse));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse)
    {
        var duration = parse.GetValue(DurationOption);
        var warmup = parse.GetValue(WarmupOption);
        var name = parse.GetValue(WorkloadOption)!;
        if (BenchWorkloadNames.Parse(name) is not { } workloads)
            return await UsageAsync($"--workload '{name}' is not one of {string.Join(", ", BenchWorkloadNames.Accepted)}");
        if (!(duration > 0 && duration <= 3600))
            return await UsageAsync($"--duration {duration} must be more than 0 and at most 3600 seconds");
        if (!(warmup >= 0 && warmup <= 3600))
            return await UsageAsync($"--warmup {warmup} must be between 0 and 3600 seconds");

        return await RunInterruptibleAsync(async (command, interrupted) =>
        {
            var report = await BenchRunner.RunAsync(workloads, TimeSpan.FromSeconds(warmup), TimeSpan.FromSeconds(duration),
                command, Console.Error, interrupted);
            await Console.Out.WriteAsync(BenchReportWriter.Table(report));
            if (parse.GetValue(JsonOption) is { } json)
                await File.WriteAllTextAsync(json, BenchReportWriter.Json(report));
            return ExitCodes.Ok;
        });
    }

    /// <summary>
    /// Runs <paramref name="bench"/> with the command line that started it and a token that Ctrl-C cancels; after
    /// Ctrl-C returns <see cref="Interrupted"/>. The bench's own finally blocks stop the server and the peer
    /// (SIGTERM, then kill).
    /// </summary>
    internal static async Task<int> RunInterruptibleAsync(Func<string, CancellationToken, Task<int>> bench)
    {
        using var interrupted = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            interrupted.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return await bench("gear " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)), interrupted.Token);
        }
        catch (OperationCanceledException) when (interrupted.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("gear bench: interrupted");
            return Interrupted;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Prints <paramref name="problem"/> as gear bench's usage error and returns its exit code.</summary>
    internal static async Task<int> UsageAsync(string problem)
    {
        await Console.Error.WriteLineAsync($"gear bench: {problem}");
        return ExitCodes.InvalidConfiguration;
    }
}
