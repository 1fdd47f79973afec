using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gear.Server.Bench;

/// <summary>Writes a <see cref="BenchReport"/> as a console table and as JSON.</summary>
public static class BenchReportWriter
{
    // A workload that moved nothing (a starved machine) makes a ratio NaN or infinite: written as "NaN" or
    // "Infinity" so that the report still says what happened rather than the run crashing.
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The console table: throughputs with reference, ratio, target and pass/fail; latencies in µs. MB is 10^6 bytes.</summary>
    public static string Table(BenchReport report)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"gear bench: {report.Machine}; {report.WarmupSeconds:0.###} s warm-up, {report.DurationSeconds:0.###} s measured per workload");
        if (report.Throughputs.Count > 0)
        {
            text.AppendLine(c, $"{"workload",-11} {"MB/s",9} {"reference MB/s",15} {"ratio",6} {"target",7} {"result",6}  what");
            foreach (var t in report.Throughputs)
                text.AppendLine(c,
                    $"{t.Workload,-11} {t.BytesPerSecond / 1e6,9:F1} {t.ReferenceBytesPerSecond / 1e6,15:F1} {t.Ratio,6:F2} {"≥ " + t.Target.ToString("F2", c),7} {(t.Passed ? "pass" : "FAIL"),6}  {t.What} (vs {t.Reference})");
        }
        if (report.Latencies.Count > 0)
        {
            text.AppendLine(c, $"{"workload",-11} {"learners",9} {"calls/s",9} {"p50 µs",9} {"p99 µs",9}");
            foreach (var l in report.Latencies)
                text.AppendLine(c, $"{l.Workload,-11} {l.Learners,9} {l.CallsPerSecond,9:F0} {l.P50Microseconds,9:F0} {l.P99Microseconds,9:F0}");
        }
        return text.ToString();
    }

    /// <summary>The report as indented JSON (ratios and pass/fail included).</summary>
    public static string Json(BenchReport report) => JsonSerializer.Serialize(report, JsonOptions);
}
