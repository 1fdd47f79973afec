using System.Globalization;
using System.Text;
using Gear.Core.Compute;
using Gear.Core.Compute.Cpu;
using Gear.Core.Compute.Cuda;
using Gear.Core.Schema;

namespace Gear.Server.Bench;

/// <summary>
/// <c>gear bench backends</c>: the CPU backend against the CUDA backend, in process, on the design's gather
/// workloads (W1–W4), on prioritized selection (sample 256 of 1,000,000, then update those 256) and on the
/// selection steps beside the sum tree (importance weights, uniform picks, top-k: timings only, no target), with
/// the device's own copy bandwidths measured in the same run as references and the issue's targets, which rows
/// gathering into device memory (<see cref="DeviceBatch"/>, a batch for a learner on the GPU) are held to:
/// zero-copy gather from pinned host pages ≥ 0.8 × pinned host-to-device bandwidth; gather from device pages (the
/// whole arena in the device tier) ≥ 0.7 × device-to-device; prioritized sample + update under 100 µs per batch.
/// Rows gathering into pinned host memory (a batch for the network or a CPU learner: the bytes cross the bus
/// twice) compare the backends only. Without a usable GPU only the CPU rows run, and the report says why the CUDA
/// rows did not.
/// </summary>
public static class BackendBench
{
    /// <summary>Least ratio of a zero-copy gather to the pinned host-to-device copy bandwidth.</summary>
    public const double ZeroCopyGatherTarget = 0.8;

    /// <summary>Least ratio of a gather from device pages to the device-to-device copy bandwidth.</summary>
    public const double DevicePageGatherTarget = 0.7;

    /// <summary>Most microseconds for one prioritized batch (sample 256 of 1,000,000, update those 256).</summary>
    public const double PrioritizedTargetMicroseconds = 100;

    private const int PrioritizedLeaves = 1_000_000;
    private const int PrioritizedBatch = 256;

    private static readonly ColumnSpec[] W1 =
        [new("obs", DType.U8, 4, 84, 84), new("action", DType.I32), new("reward", DType.F32), new("done", DType.Bool)];
    private static readonly ColumnSpec[] W2 =
        [new("obs", DType.F32, 17), new("action", DType.F32, 6), new("reward", DType.F32), new("done", DType.Bool)];
    private static readonly ColumnSpec[] W4 = [new("x", DType.F32, 256)];

    /// <summary>
    /// The gather workloads. W1's arena is 8,192 steps (231 MB) instead of the design's 100,000 (2.8 GB) so that the
    /// benchmark fits beside other work; with L = 1 the gather reads as many random steps either way.
    /// </summary>
    public static IReadOnlyList<GatherWorkload> Workloads { get; } =
    [
        new("w1-gather", W1, 8_192, 1_024, 256, 1, false),
        new("w2-gather", W2, 1_000_000, 1_000, 256, 1, false),
        new("w3-uniform", W2, 1_000_000, 1_000, 64, 20, false),
        new("w3-end", W2, 1_000_000, 1_000, 64, 20, true),
        new("w4-gather", W4, 131_072, 2_048, 32, 512, false),
        new("w4-device", W4, 131_072, 2_048, 32, 512, false, InDeviceTier: true),
        new("w1-to-dev", W1, 8_192, 1_024, 256, 1, false, IntoDeviceMemory: true),
        new("w4-to-dev", W4, 131_072, 2_048, 32, 512, false, IntoDeviceMemory: true),
        new("w4-dev-dev", W4, 131_072, 2_048, 32, 512, false, InDeviceTier: true, IntoDeviceMemory: true),
    ];

    /// <summary>Runs every measurement (progress to <paramref name="log"/>) and returns the report as text.</summary>
    public static string Run(TimeSpan duration, TextWriter log)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"gear bench backends: {Environment.ProcessorCount} cores, .NET {Environment.Version}; {duration.TotalSeconds:0.###} s per row");
        using var cpu = new CpuBackend(Math.Max(1, Environment.ProcessorCount));
        using var cuda = CudaBackend.TryCreate(0, out var description);
        CudaCopyBandwidth? copies = null;
        if (cuda is null)
        {
            text.AppendLine(c, $"CUDA rows not run: {description}");
        }
        else
        {
            copies = CudaCopyBandwidth.Measure(cuda);
            text.AppendLine(c, $"device {description}");
            text.AppendLine(c, $"reference: device-to-device copy {copies.Value.DeviceToDeviceBytesPerSecond / 1e9:F1} GB/s, pinned host-to-device copy {copies.Value.PinnedHostToDeviceBytesPerSecond / 1e9:F1} GB/s");
        }

        text.AppendLine(c, $"{"workload",-12} {"cuda MB/s",10} {"cpu MB/s",10} {"ratio",9} {"target",7} {"result",6}  what (ratio: cuda ÷ the device's copy bandwidth)");
        foreach (var workload in Workloads)
        {
            log.WriteLine($"gear bench backends: {workload.Name}");
            var onCpu = BackendMeasurements.GatherBytesPerSecond(cpu, workload, duration);
            var what = $"{workload.BatchSize} windows × {workload.WindowLength}{(workload.AnchoredAtEnd ? " at the end" : "")}";
            if (cuda is null || copies is null)
            {
                text.AppendLine(c, $"{workload.Name,-12} {"not run",10} {onCpu / 1e6,10:F1} {"",9} {"",7} {"",6}  {what}");
                continue;
            }
            var onCuda = BackendMeasurements.GatherBytesPerSecond(cuda, workload, duration);
            var (reference, target, source) = workload.InDeviceTier
                ? (copies.Value.DeviceToDeviceBytesPerSecond, DevicePageGatherTarget, "from device pages (vs d2d)")
                : (copies.Value.PinnedHostToDeviceBytesPerSecond, ZeroCopyGatherTarget, "zero-copy from pinned host pages (vs pinned h2d)");
            var ratio = onCuda / reference;
            var (targetText, result) = workload.IntoDeviceMemory
                ? ("≥ " + target.ToString("F2", c), ratio >= target ? "pass" : "FAIL")
                : ("", "");
            var into = workload.IntoDeviceMemory ? "into device memory" : "into pinned host memory (no target)";
            text.AppendLine(c,
                $"{workload.Name,-12} {onCuda / 1e6,10:F1} {onCpu / 1e6,10:F1} {ratio,9:F2} {targetText,7} {result,6}  {what}, {source}, {into}");
        }

        log.WriteLine("gear bench backends: prioritized");
        var cpuMicroseconds = BackendMeasurements.PrioritizedMicrosecondsPerBatch(cpu, PrioritizedLeaves, PrioritizedBatch, duration);
        var prioritized = $"sample {PrioritizedBatch} of {PrioritizedLeaves:N0} + update those {PrioritizedBatch}";
        if (cuda is null)
        {
            text.AppendLine(c, $"prioritized: cpu {cpuMicroseconds:F1} µs per batch, cuda not run ({prioritized})");
        }
        else
        {
            var cudaMicroseconds = BackendMeasurements.PrioritizedMicrosecondsPerBatch(cuda, PrioritizedLeaves, PrioritizedBatch, duration);
            text.AppendLine(c,
                $"prioritized: cpu {cpuMicroseconds:F1} µs, cuda {cudaMicroseconds:F1} µs per batch (target < {PrioritizedTargetMicroseconds:F0} µs: {(cudaMicroseconds < PrioritizedTargetMicroseconds ? "pass" : "FAIL")}) ({prioritized})");
        }

        log.WriteLine("gear bench backends: selection");
        var onCpuSelection = BackendMeasurements.SelectionMicroseconds(cpu, PrioritizedLeaves, PrioritizedBatch, duration);
        var onCudaSelection = cuda is null ? (SelectionTimings?)null : BackendMeasurements.SelectionMicroseconds(cuda, PrioritizedLeaves, PrioritizedBatch, duration);
        text.AppendLine(c, $"selection of {PrioritizedBatch} from {PrioritizedLeaves:N0} (µs per batch; cuda: kernels over device copies of the selectors' state, which a call brings up to date with the changes since the last):");
        foreach (var (step, onCpu, onCuda) in new[]
        {
            ("importance weights", onCpuSelection.Weights, onCudaSelection?.Weights),
            ("uniform picks", onCpuSelection.UniformPicks, onCudaSelection?.UniformPicks),
            ("top-k", onCpuSelection.TopK, onCudaSelection?.TopK),
        })
            text.AppendLine(c, $"  {step}: cpu {onCpu:F1} µs, cuda {(onCuda is double value ? value.ToString("F1", c) + " µs" : "not run")}");
        return text.ToString();
    }
}
