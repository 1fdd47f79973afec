using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gear.Server.Bench;

/// <summary>Writes a <see cref="BackendBenchReport"/> as the console table of <c>gear bench backends</c> and as JSON.</summary>
public static class BackendBenchWriter
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, // a row that moved nothing: NaN, not a crash
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // "32 windows × 512" as written, for a file people read
    };

    /// <summary>The table; MB is 10^6 bytes. The target column names the ratio it is judged on.</summary>
    public static string Table(BackendBenchReport report)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"gear bench backends: {report.Machine}; {report.SecondsPerRow:0.###} s per row");
        if (!report.CudaRan)
        {
            text.AppendLine(c, $"CUDA rows not run: {report.Device}");
        }
        else
        {
            text.AppendLine(c, $"device {report.Device}");
            text.AppendLine(c, $"peak references (256 MiB copies back to back, timed by events): device-to-device copy {report.PeakDeviceToDeviceBytesPerSecond / 1e9:F1} GB/s, pinned host-to-device copy {report.PeakPinnedHostToDeviceBytesPerSecond / 1e9:F1} GB/s");
            text.AppendLine("same-bytes reference (column 'copy MB/s'): one synchronous copy of exactly one gather's bytes, of the row's reference kind, timed per call as the gather is");
            text.AppendLine("÷peak: cuda ÷ peak reference (the targets are judged on this); ÷copy: cuda ÷ same-bytes reference (like for like, not judged)");
            text.AppendLine("kernel ÷peak: the gather kernel alone, timed by events around each launch, ÷ peak reference (without the call's fixed costs; not judged)");
        }

        text.AppendLine(c, $"{"workload",-12} {"cuda MB/s",10} {"cpu MB/s",10} {"copy MB/s",10} {"÷peak",6} {"÷copy",6} {"kernel ÷peak",12} {"target ÷peak",12} {"result",6} {"reference",-10}  what");
        foreach (var row in report.Gathers)
        {
            if (row.CudaBytesPerSecond is not double onCuda)
            {
                text.AppendLine(c, $"{row.Workload,-12} {"not run",10} {row.CpuBytesPerSecond / 1e6,10:F1} {"",10} {"",6} {"",6} {"",12} {"",12} {"",6} {"",-10}  {row.What}");
                continue;
            }
            var target = row.Target is double least ? "≥ " + least.ToString("F2", c) : "";
            var result = row.Met switch { true => "pass", false => "FAIL", null => "" };
            text.AppendLine(c,
                $"{row.Workload,-12} {onCuda / 1e6,10:F1} {row.CpuBytesPerSecond / 1e6,10:F1} {row.SameBytesCopyBytesPerSecond / 1e6,10:F1} {row.RatioToPeakCopy,6:F2} {row.RatioToSameBytesCopy,6:F2} {row.KernelRatioToPeakCopy,12:F2} {target,12} {result,6} {row.Reference,-10}  {row.What}");
        }

        if (report.Prioritized is { } prioritized)
        {
            text.AppendLine(prioritized.CudaMicroseconds is double cuda
                ? string.Create(c, $"prioritized: cpu {prioritized.CpuMicroseconds:F1} µs, cuda {cuda:F1} µs per batch (target < {prioritized.TargetMicroseconds:F0} µs: {(prioritized.Met == true ? "pass" : "FAIL")}) ({prioritized.What})")
                : string.Create(c, $"prioritized: cpu {prioritized.CpuMicroseconds:F1} µs per batch, cuda not run ({prioritized.What})"));
        }

        if (report.Selection.Count > 0)
            text.AppendLine(c, $"selection of {report.SelectionBatch} from {report.SelectionItems:N0} (µs per batch; cuda: kernels over device copies of the selectors' state, which a call brings up to date with the changes since the last):");
        foreach (var step in report.Selection)
            text.AppendLine(c, $"  {step.Step}: cpu {step.CpuMicroseconds:F1} µs, cuda {(step.CudaMicroseconds is double value ? value.ToString("F1", c) + " µs" : "not run")}");

        if (report.Learner is { } learner)
        {
            text.AppendLine(learner.CudaMicroseconds is double waited && learner.CudaQueuedMicroseconds is double queued
                ? string.Create(c, $"learner: cpu {learner.CpuMicroseconds:F1} µs, cuda {waited:F1} µs each waited for, {queued:F1} µs two queued at a time, per batch ({learner.What})")
                : string.Create(c, $"learner: cpu {learner.CpuMicroseconds:F1} µs per batch, cuda not run ({learner.What})"));
        }
        return text.ToString();
    }

    /// <summary>The report as indented JSON: every figure, both ratios of each gather, and which one its target is judged on.</summary>
    public static string Json(BackendBenchReport report) => JsonSerializer.Serialize(report, JsonOptions);
}
