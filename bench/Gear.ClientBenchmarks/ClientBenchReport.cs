using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gear.ClientBenchmarks;

/// <summary>One measurement: a reader path against a table, in one round.</summary>
/// <param name="Workload">w2-overhead, w4-overhead or w2-sharded.</param>
/// <param name="Path">raw, sdk, or "sdk, N shards".</param>
/// <param name="Round">1, 2, …: the position in the alternation.</param>
/// <param name="BatchesPerSecond">Batches received per second.</param>
/// <param name="MegabytesPerSecond">B × L × step bytes received per second, in 10^6 bytes.</param>
/// <param name="ClientCpuMicrosecondsPerBatch">CPU time of the client process (all its threads) per batch.</param>
internal sealed record MeasurementRow(
    string Workload, string Path, int Round, double BatchesPerSecond, double MegabytesPerSecond, double ClientCpuMicrosecondsPerBatch);

/// <summary>A ratio of two paths' means of one figure, with the per-round ratios showing the spread.</summary>
/// <param name="Workload">The workload both paths ran.</param>
/// <param name="Figure">"batches/s" or "client CPU/batch".</param>
/// <param name="Of">The numerator's path.</param>
/// <param name="To">The denominator's path.</param>
/// <param name="Ratio">Mean of <paramref name="Of"/> ÷ mean of <paramref name="To"/>.</param>
/// <param name="RoundRatios">Round i of <paramref name="Of"/> ÷ round i of <paramref name="To"/>.</param>
/// <param name="Bound">The least ratio the issue asks for; null where it asks none.</param>
internal sealed record RatioRow(string Workload, string Figure, string Of, string To, double Ratio, IReadOnlyList<double> RoundRatios, double? Bound)
{
    public const string BatchRate = "batches/s";
    public const string ClientCpu = "client CPU/batch";

    /// <summary>Whether the bound is met; null without a bound.</summary>
    public bool? Met => Bound is { } bound ? Ratio >= bound : null;

    /// <summary>
    /// The ratio of <paramref name="of"/>'s batches per second to <paramref name="to"/>'s among
    /// <paramref name="rows"/> of <paramref name="workload"/>.
    /// </summary>
    public static RatioRow Between(IReadOnlyList<MeasurementRow> rows, string workload, string of, string to, double? bound) =>
        Between(rows, workload, BatchRate, r => r.BatchesPerSecond, of, to, bound);

    /// <summary>The same for the client's CPU time per batch (no bound: it explains the rate, it is not the target).</summary>
    public static RatioRow CpuBetween(IReadOnlyList<MeasurementRow> rows, string workload, string of, string to) =>
        Between(rows, workload, ClientCpu, r => r.ClientCpuMicrosecondsPerBatch, of, to, bound: null);

    private static RatioRow Between(
        IReadOnlyList<MeasurementRow> rows, string workload, string figure, Func<MeasurementRow, double> value, string of, string to, double? bound)
    {
        var numerator = rows.Where(r => r.Workload == workload && r.Path == of).OrderBy(r => r.Round).ToArray();
        var denominator = rows.Where(r => r.Workload == workload && r.Path == to).OrderBy(r => r.Round).ToArray();
        var ratio = numerator.Average(value) / denominator.Average(value);
        var rounds = numerator.Zip(denominator, (n, d) => value(n) / value(d)).ToArray();
        return new RatioRow(workload, figure, of, to, ratio, rounds, bound);
    }
}

/// <summary>Everything one run measured, with what it ran on.</summary>
internal sealed record ClientBenchReport(
    string Command, string Machine, string LoadAverageBefore, string LoadAverageAfter, double WarmupSeconds, double DurationSeconds,
    IReadOnlyList<string> Notes, IReadOnlyList<MeasurementRow> Measurements, IReadOnlyList<RatioRow> Ratios, double TouchedSum)
{
    // A measurement that counted no batch (a starved machine) makes a ratio infinite or NaN: written as
    // "Infinity"/"NaN" so that the report still says what happened rather than the run crashing.
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes the report as JSON (the smoke test reads it).</summary>
    public Task WriteJsonAsync(string path) => File.WriteAllTextAsync(path, JsonSerializer.Serialize(this, s_json));

    /// <summary>The system's 1, 5 and 15 minute load averages ("unknown" off Linux): other work on the machine skews every figure.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
