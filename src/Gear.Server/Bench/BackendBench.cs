using Gear.Core.Compute;
using Gear.Core.Compute.Cpu;
using Gear.Core.Compute.Cuda;
using Gear.Core.Schema;

namespace Gear.Server.Bench;

/// <summary>
/// <c>gear bench backends</c>: the CPU backend against the CUDA backend, in process, on the design's gather
/// workloads (W1–W4), on prioritized selection (sample 256 of 1,000,000, then update those 256) and on the
/// selection steps beside the sum tree (importance weights, uniform picks, top-k: timings only, no target), on a
/// prioritized learner's loop (W1 windows into device memory, each waited for or two queued at a time, and the
/// priority update: timings only), with
/// two references for each CUDA gather measured in the same run: the device's peak copy bandwidth of the same kind
/// (<see cref="CudaCopyBandwidth"/>: 256 MiB copies back to back, timed by events), and a synchronous copy of exactly
/// the bytes one gather moves, timed per call as the gather is (<see cref="CudaSynchronousCopy"/>), so that the
/// gather's fixed costs per call are compared with a copy's; each CUDA gather is also timed by events around its
/// kernel launches alone (<see cref="BackendMeasurements.GatherKernelBytesPerSecond"/>), shown, not judged, so that a
/// reader sees how much of a gather is the kernel and how much the call's fixed costs. The issue's targets are judged on the peak ratio; rows
/// gathering into device memory (<see cref="DeviceBatch"/>, a batch for a learner on the GPU) are held to them:
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
        new("w1-to-dev-queued", W1, 8_192, 1_024, 256, 1, false, IntoDeviceMemory: true, Queued: true),
        new("w4-dev-dev-queued", W4, 131_072, 2_048, 32, 512, false, InDeviceTier: true, IntoDeviceMemory: true, Queued: true),
    ];

    /// <summary>The name of the prioritized sample + update row, for <see cref="Run"/>'s row list.</summary>
    public const string PrioritizedRow = "prioritized";

    /// <summary>The name of the selection steps' rows, for <see cref="Run"/>'s row list.</summary>
    public const string SelectionRow = "selection";

    /// <summary>The name of the prioritized learner's row, for <see cref="Run"/>'s row list.</summary>
    public const string LearnerRow = "learner";

    /// <summary>Every row name <see cref="Run"/> accepts: the gather workloads', then the selection rows and the learner's.</summary>
    public static IReadOnlyList<string> RowNames { get; } = [.. Workloads.Select(workload => workload.Name), PrioritizedRow, SelectionRow, LearnerRow];

    // The learner's table: W1's gather arena (see Workloads), sampled as W1's learner samples it.
    private const int LearnerSteps = 8_192;

    /// <summary>
    /// Runs the measurements (progress to <paramref name="log"/>) and returns what they measured: every row, or only
    /// the <paramref name="rows"/> named (from <see cref="RowNames"/>), so that a GPU lent for minutes is spent on the
    /// rows in question. The device's peak copies are measured either way.
    /// </summary>
    public static BackendBenchReport Run(TimeSpan duration, TextWriter log, IReadOnlySet<string>? rows = null)
    {
        bool Wanted(string row) => rows is null || rows.Contains(row);
        using var cpu = new CpuBackend(Math.Max(1, Environment.ProcessorCount));
        using var cuda = CudaBackend.TryCreate(0, out var description);
        var peak = cuda is null ? (CudaCopyBandwidth?)null : CudaCopyBandwidth.Measure(cuda);

        var gathers = new List<BackendGatherRow>();
        foreach (var workload in Workloads.Where(workload => Wanted(workload.Name)))
        {
            log.WriteLine($"gear bench backends: {workload.Name}");
            gathers.Add(MeasureGather(workload, cpu, cuda, peak, duration));
        }

        BackendPrioritizedRow? prioritized = null;
        if (Wanted(PrioritizedRow))
        {
            log.WriteLine("gear bench backends: prioritized");
            prioritized = new BackendPrioritizedRow(
                $"sample {PrioritizedBatch} of {PrioritizedLeaves:N0} + update those {PrioritizedBatch}",
                BackendMeasurements.PrioritizedMicrosecondsPerBatch(cpu, PrioritizedLeaves, PrioritizedBatch, duration),
                cuda is null ? null : BackendMeasurements.PrioritizedMicrosecondsPerBatch(cuda, PrioritizedLeaves, PrioritizedBatch, duration),
                PrioritizedTargetMicroseconds);
        }

        BackendSelectionRow[] selection = [];
        if (Wanted(SelectionRow))
        {
            log.WriteLine("gear bench backends: selection");
            var onCpu = BackendMeasurements.SelectionMicroseconds(cpu, PrioritizedLeaves, PrioritizedBatch, duration);
            var onCuda = cuda is null ? (SelectionTimings?)null : BackendMeasurements.SelectionMicroseconds(cuda, PrioritizedLeaves, PrioritizedBatch, duration);
            selection =
            [
                new("importance weights", onCpu.Weights, onCuda?.Weights),
                new("uniform picks", onCpu.UniformPicks, onCuda?.UniformPicks),
                new("top-k", onCpu.TopK, onCuda?.TopK),
            ];
        }

        BackendLearnerRow? learner = null;
        if (Wanted(LearnerRow))
        {
            log.WriteLine("gear bench backends: learner");
            double Measure(IComputeBackend backend, bool queued) =>
                BackendMeasurements.LearnerMicrosecondsPerBatch(backend, W1, LearnerSteps, PrioritizedBatch, queued, duration);
            learner = new BackendLearnerRow(
                $"prioritized sample of {PrioritizedBatch} W1 steps of {LearnerSteps:N0} (into device memory on cuda) + update of their priorities",
                Measure(cpu, queued: false), cuda is null ? null : Measure(cuda, queued: false), cuda is null ? null : Measure(cuda, queued: true));
        }

        return new BackendBenchReport(
            $"{Environment.ProcessorCount} cores, .NET {Environment.Version}", duration.TotalSeconds, description, cuda is not null,
            peak?.DeviceToDeviceBytesPerSecond, peak?.PinnedHostToDeviceBytesPerSecond,
            gathers, prioritized, PrioritizedBatch, PrioritizedLeaves, selection, learner);
    }

    private static BackendGatherRow MeasureGather(GatherWorkload workload, CpuBackend cpu, IComputeBackend? cuda, CudaCopyBandwidth? peak, TimeSpan duration)
    {
        var what = $"{workload.BatchSize} windows × {workload.WindowLength}{(workload.AnchoredAtEnd ? " at the end" : "")}, "
            + (workload.InDeviceTier ? "from device pages" : "zero-copy from pinned host pages")
            + (workload.IntoDeviceMemory ? " into device memory" : " into pinned host memory (no target)")
            + (workload.Queued ? ", two queued at a time" : "");
        var onCpu = BackendMeasurements.GatherBytesPerSecond(cpu, workload, duration);
        if (cuda is null || peak is not { } copies)
            return new BackendGatherRow(workload.Name, what, onCpu, null, null, null, null, null, null);
        var (reference, peakBytesPerSecond, target) = workload.InDeviceTier
            ? ("d2d", copies.DeviceToDeviceBytesPerSecond, DevicePageGatherTarget)
            : ("pinned h2d", copies.PinnedHostToDeviceBytesPerSecond, ZeroCopyGatherTarget);
        return new BackendGatherRow(workload.Name, what, onCpu,
            BackendMeasurements.GatherBytesPerSecond(cuda, workload, duration), reference, peakBytesPerSecond,
            BackendMeasurements.SameBytesCopyBytesPerSecond(cuda, workload, duration),
            BackendMeasurements.GatherKernelBytesPerSecond(cuda, workload, duration),
            workload.IntoDeviceMemory ? target : null);
    }
}
