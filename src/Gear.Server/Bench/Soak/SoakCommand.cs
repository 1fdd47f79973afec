using System.CommandLine;
using Gear.Server.Hosting;

namespace Gear.Server.Bench.Soak;

/// <summary>
/// <c>gear bench soak</c>: issue 7's load test. Actors and learners (gRPC and data plane) on loopback for a set
/// time, optionally beside idle connections; every interval prints throughput, latency percentiles, errors, the
/// server's memory and the rate limiter; at the end a verdict per check, and a non-zero exit code if one fails.
/// </summary>
public static class SoakCommand
{
    /// <summary>Exit code when the soak ran but a check failed.</summary>
    public const int ChecksFailed = 1;

    private static readonly Option<double> DurationOption = new("--duration")
    { HelpName = "seconds", Description = "How long the load runs, warm-up (the first 20%) included (the recorded run uses 600).", DefaultValueFactory = _ => 60 };
    private static readonly Option<int> ActorsOption = new("--actors")
    { HelpName = "count", Description = "Actor InsertStreams, each on its own connection.", DefaultValueFactory = _ => 64 };
    private static readonly Option<int> LearnersOption = new("--learners")
    { HelpName = "count", Description = "Learners: half read a SampleStream over gRPC, half the TCP data plane.", DefaultValueFactory = _ => 4 };
    private static readonly Option<int> IdleOption = new("--idle-connections")
    {
        HelpName = "count",
        Description = "Idle gRPC connections (one GetServerInfo a minute each) open through the warm-up and the first half after it; " +
            "the second half runs without them and the throughputs are compared. Each needs a file descriptor on both sides: check ulimit -n.",
        DefaultValueFactory = _ => 0,
    };
    private static readonly Option<double> IntervalOption = new("--report-interval")
    { HelpName = "seconds", Description = "How often the figures are taken and printed.", DefaultValueFactory = _ => 10 };
    private static readonly Option<string> JsonOption = new("--json")
    { HelpName = "path", Description = "Also write the report (every interval and verdict) as JSON to this file." };

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var command = new Command("soak",
            "Soak test: actors and learners on loopback for --duration, printing throughput, p50/p99 insert-ack and sample latency, " +
            "errors, server memory and the rate limiter every interval; then checks zero errors, memory flat after the warm-up (5%), " +
            "the rate limiter within its bounds and, with --idle-connections, throughput within 10% of that without them. Exits 1 if a check fails.")
        {
            DurationOption, ActorsOption, LearnersOption, IdleOption, IntervalOption, JsonOption,
        };
        command.SetAction((parse, _) => RunAsync(parse));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse)
    {
        var (duration, interval) = (parse.GetValue(DurationOption), parse.GetValue(IntervalOption));
        // Checked before they become TimeSpans, which throw on NaN and on overflow.
        if (!(duration > 0 && duration <= SoakOptions.MaxSeconds))
            return await BenchCommand.UsageAsync($"--duration {duration} must be more than 0 and at most {SoakOptions.MaxSeconds} seconds");
        if (!(interval > 0 && interval <= duration))
            return await BenchCommand.UsageAsync($"--report-interval {interval} must be more than 0 and at most the duration");
        var options = new SoakOptions(TimeSpan.FromSeconds(duration), parse.GetValue(ActorsOption), parse.GetValue(LearnersOption),
            parse.GetValue(IdleOption), TimeSpan.FromSeconds(interval));
        if (options.Problem() is { } problem)
            return await BenchCommand.UsageAsync(problem);
        return await BenchCommand.RunInterruptibleAsync(async (command, interrupted) =>
        {
            var report = await SoakRunner.RunAsync(options, command, Console.Out, Console.Error, interrupted);
            await Console.Out.WriteAsync(SoakReportWriter.Verdicts(report));
            if (parse.GetValue(JsonOption) is { } json)
                await File.WriteAllTextAsync(json, SoakReportWriter.Json(report));
            return report.Passed ? ExitCodes.Ok : ChecksFailed;
        });
    }
}
