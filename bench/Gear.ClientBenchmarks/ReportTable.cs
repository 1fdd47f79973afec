using System.Globalization;

namespace Gear.ClientBenchmarks;

/// <summary>Prints a report as plain-text tables.</summary>
internal static class ReportTable
{
    public static void Write(ClientBenchReport report, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"{report.Machine}; load average {report.LoadAverageBefore} before, {report.LoadAverageAfter} after");
        output.WriteLine($"each measurement: {report.WarmupSeconds:0.###} s warm-up, {report.DurationSeconds:0.###} s counted; MB = 10^6 bytes of step data (B × L × step bytes)");
        output.WriteLine();
        output.WriteLine($"{"workload",-12} {"path",-16} {"round",5} {"batches/s",11} {"MB/s",9} {"client CPU µs/batch",20}");
        foreach (var row in report.Measurements)
            output.WriteLine(
                $"{row.Workload,-12} {row.Path,-16} {row.Round,5} {Format(row.BatchesPerSecond, "N0"),11} {Format(row.MegabytesPerSecond, "N1"),9} " +
                $"{Format(row.ClientCpuMicrosecondsPerBatch, "N1"),20}");
        output.WriteLine();
        output.WriteLine($"{"workload",-12} {"ratio of",-17} {"paths",-30} {"mean",6}  {"per round",-30} {"bound",6}  met");
        foreach (var ratio in report.Ratios)
        {
            var rounds = string.Join(", ", ratio.RoundRatios.Select(r => Format(r, "F3")));
            var bound = ratio.Bound is { } b ? "≥ " + Format(b, "F2") : "";
            var met = ratio.Met switch { true => "yes", false => "NO", null => "" };
            output.WriteLine($"{ratio.Workload,-12} {ratio.Figure,-17} {ratio.Of + " ÷ " + ratio.To,-30} {Format(ratio.Ratio, "F3"),6}  {rounds,-30} {bound,6}  {met}");
        }
        foreach (var note in report.Notes)
            output.WriteLine($"note: {note}");
    }

    private static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
