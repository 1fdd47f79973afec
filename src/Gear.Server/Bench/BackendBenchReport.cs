namespace Gear.Server.Bench;

/// <summary>One gather workload of <c>gear bench backends</c> on both backends, with the CUDA row's two references.</summary>
/// <param name="Workload">The workload's name ("w4-dev-dev").</param>
/// <param name="What">Windows, source and output, in words.</param>
/// <param name="CpuBytesPerSecond">The CPU backend's window bytes per second.</param>
/// <param name="CudaBytesPerSecond">The CUDA backend's, timed per gather (null: not run).</param>
/// <param name="Reference">The kind of copy both references make: "d2d" (device pages) or "pinned h2d" (host pages).</param>
/// <param name="PeakCopyBytesPerSecond">The device's peak copy bandwidth of that kind: 256 MiB copies back to back, timed by events.</param>
/// <param name="SameBytesCopyBytesPerSecond">A synchronous copy of exactly one gather's bytes, of that kind, timed per call as the gather is.</param>
/// <param name="CudaKernelBytesPerSecond">The CUDA gather kernel alone, timed by events around each launch (null: not run).</param>
/// <param name="Target">The least <see cref="RatioToPeakCopy"/> the issue asks for (null: the row compares the backends only).</param>
public sealed record BackendGatherRow(
    string Workload, string What, double CpuBytesPerSecond, double? CudaBytesPerSecond, string? Reference,
    double? PeakCopyBytesPerSecond, double? SameBytesCopyBytesPerSecond, double? CudaKernelBytesPerSecond, double? Target)
{
    /// <summary>CUDA ÷ the peak copy bandwidth: what <see cref="Target"/> is judged on.</summary>
    public double? RatioToPeakCopy => CudaBytesPerSecond / PeakCopyBytesPerSecond;

    /// <summary>CUDA ÷ the same-bytes synchronous copy: like for like in size and timing, shown beside the judged ratio.</summary>
    public double? RatioToSameBytesCopy => CudaBytesPerSecond / SameBytesCopyBytesPerSecond;

    /// <summary>The kernel alone ÷ the peak copy bandwidth: what the gather would reach without its fixed costs per call; not judged.</summary>
    public double? KernelRatioToPeakCopy => CudaKernelBytesPerSecond / PeakCopyBytesPerSecond;

    /// <summary>Which ratio <see cref="Target"/> is judged on, named in the JSON so that no reader has to guess.</summary>
    public string? TargetJudgedOn => Target is null ? null : nameof(RatioToPeakCopy);

    /// <summary>Whether <see cref="RatioToPeakCopy"/> reaches <see cref="Target"/> (null: no target, or not run).</summary>
    public bool? Met => Target is double target && RatioToPeakCopy is double ratio ? ratio >= target : null;
}

/// <summary>Prioritized sample + update on both backends, in microseconds per batch.</summary>
/// <param name="What">The operation, in words.</param>
/// <param name="CpuMicroseconds">The CPU backend's time per batch.</param>
/// <param name="CudaMicroseconds">The CUDA backend's (null: not run).</param>
/// <param name="TargetMicroseconds">The most the issue allows the CUDA backend.</param>
public sealed record BackendPrioritizedRow(string What, double CpuMicroseconds, double? CudaMicroseconds, double TargetMicroseconds)
{
    /// <summary>Whether the CUDA time is under the target (null: not run).</summary>
    public bool? Met => CudaMicroseconds is double cuda ? cuda < TargetMicroseconds : null;
}

/// <summary>One selection step on both backends, in microseconds per batch (no target).</summary>
/// <param name="Step">"importance weights", "uniform picks" or "top-k".</param>
/// <param name="CpuMicroseconds">The CPU backend's time per batch.</param>
/// <param name="CudaMicroseconds">The CUDA backend's (null: not run).</param>
public sealed record BackendSelectionRow(string Step, double CpuMicroseconds, double? CudaMicroseconds);

/// <summary>A prioritized learner's loop on both backends, in microseconds per batch (no target).</summary>
/// <param name="What">The loop, in words.</param>
/// <param name="CpuMicroseconds">The CPU backend's time per batch.</param>
/// <param name="CudaMicroseconds">The CUDA backend's, each sample waited for (null: not run).</param>
/// <param name="CudaQueuedMicroseconds">The CUDA backend's, samples queued into two device batches in turn, so that a
/// batch's selection and update overlap the other's gather (null: not run).</param>
public sealed record BackendLearnerRow(string What, double CpuMicroseconds, double? CudaMicroseconds, double? CudaQueuedMicroseconds);

/// <summary>Everything one <c>gear bench backends</c> run measured.</summary>
/// <param name="Machine">Cores and runtime.</param>
/// <param name="SecondsPerRow">Measured time per row and backend.</param>
/// <param name="Device">The CUDA device's description, or why the CUDA rows did not run.</param>
/// <param name="CudaRan">Whether the CUDA rows ran.</param>
/// <param name="PeakDeviceToDeviceBytesPerSecond">The device's peak device-to-device copy bandwidth (null: not run).</param>
/// <param name="PeakPinnedHostToDeviceBytesPerSecond">Its peak pinned host-to-device copy bandwidth (null: not run).</param>
/// <param name="Gathers">The gather workloads asked for.</param>
/// <param name="Prioritized">Prioritized sample + update (null: not among the rows asked for).</param>
/// <param name="SelectionBatch">Items per selection batch.</param>
/// <param name="SelectionItems">Items held by the selectors.</param>
/// <param name="Selection">The selection steps (empty: not among the rows asked for).</param>
/// <param name="Learner">The prioritized learner's loop (null: not among the rows asked for).</param>
public sealed record BackendBenchReport(
    string Machine, double SecondsPerRow, string Device, bool CudaRan,
    double? PeakDeviceToDeviceBytesPerSecond, double? PeakPinnedHostToDeviceBytesPerSecond,
    IReadOnlyList<BackendGatherRow> Gathers, BackendPrioritizedRow? Prioritized,
    int SelectionBatch, int SelectionItems, IReadOnlyList<BackendSelectionRow> Selection, BackendLearnerRow? Learner);
