using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gear.Server.Bench.Soak;

/// <summary>Writes a soak's intervals as they come, its verdicts at the end, and the whole report as JSON.</summary>
public static class SoakReportWriter
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>The column heads of <see cref="Line"/>. Rates are per second; latencies in ms; MB is 10^6 bytes.</summary>
    public static string Header { get; } =
        $"{"t s",6} {"phase",-7} {"ins st/s",9} {"MB/s",6} {"ack p50",8} {"p99",7} {"smp win/s",9} {"MB/s",6} {"smp p50",8} {"p99",7} " +
        $"{"err",4} {"rss MB",7} {"conns",6} {"spi",5} {"diff",7}";

    /// <summary>One interval on one line, under <see cref="Header"/>.</summary>
    public static string Line(SoakInterval i) => string.Create(CultureInfo.InvariantCulture,
        $"{i.EndSeconds,6:F0} {i.Phase,-7} {i.InsertStepsPerSecond,9:F0} {i.InsertBytesPerSecond / 1e6,6:F1} {i.InsertAck.P50Microseconds / 1e3,8:F2} {i.InsertAck.P99Microseconds / 1e3,7:F1} " +
        $"{i.SampleWindowsPerSecond,9:F0} {i.SampleBytesPerSecond / 1e6,6:F1} {i.SampleBatch.P50Microseconds / 1e3,8:F2} {i.SampleBatch.P99Microseconds / 1e3,7:F1} " +
        $"{i.Errors,4} {i.ServerRssBytes / 1e6,7:F1} {i.GrpcConnections,6} {i.SamplesPerInsert,5:F2} {i.Limiter.Diff,7:F0}");

    /// <summary>What ran, the errors kept word for word, and each verdict with its numbers.</summary>
    public static string Verdicts(SoakReport report)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        var s = report.Settings;
        text.AppendLine(c, $"gear bench soak: {report.Machine}; {s.DurationSeconds:0.###} s in intervals of {s.ReportIntervalSeconds:0.###} s, " +
            $"{s.Actors} actors, {s.StreamLearners} SampleStream + {s.DataPlaneLearners} data-plane learners, {s.IdleConnections} idle connections; {s.Table}");
        foreach (var error in report.FirstErrors)
            text.AppendLine(c, $"error: {error}");
        foreach (var check in report.Checks)
            text.AppendLine(c, $"{(check.Passed ? "pass" : "FAIL"),-4} {check.Name,-16} {check.Detail}");
        text.AppendLine(report.Passed ? "soak passed" : "soak FAILED");
        return text.ToString();
    }

    /// <summary>The report as indented JSON (intervals, checks and the overall verdict).</summary>
    public static string Json(SoakReport report) => JsonSerializer.Serialize(report, JsonOptions);
}
