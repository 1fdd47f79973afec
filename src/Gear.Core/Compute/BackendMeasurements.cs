using System.Diagnostics;
using Gear.Core.Compute.Cuda;
using Gear.Core.RateLimiting;
using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Selection;
using Gear.Core.Storage;
using Gear.Core.Tables;

namespace Gear.Core.Compute;

/// <summary>A gather workload: the arena, its trajectories and the windows drawn from them.</summary>
/// <param name="Name">Short name ("w3-end").</param>
/// <param name="Columns">The step's columns.</param>
/// <param name="ArenaSteps">Steps in the arena (filled with a byte pattern), a multiple of <paramref name="TrajectorySteps"/>.</param>
/// <param name="TrajectorySteps">Steps of each trajectory (the arena is cut into trajectories of this length).</param>
/// <param name="BatchSize">Windows per gather (B).</param>
/// <param name="WindowLength">Steps per window (L).</param>
/// <param name="AnchoredAtEnd">Windows end at their trajectory's end; otherwise uniform over valid starts.</param>
/// <param name="InDeviceTier">The whole arena is in the device tier (a device backend reads device pages, not pinned host pages).</param>
/// <param name="IntoDeviceMemory">A device backend gathers into a <see cref="DeviceBatch"/> (device memory) rather than
/// into pinned host memory; the CPU backend always gathers into host memory.</param>
/// <param name="Queued">With <paramref name="IntoDeviceMemory"/>, a device backend queues its gathers into two
/// <see cref="DeviceBatch"/>es in turn, as a learner that trains on one batch while the next is gathered
/// (<see cref="DeviceBatch.SampleQueuedAsync"/>), instead of waiting for each; the CPU backend is unaffected.</param>
public sealed record GatherWorkload(string Name, IReadOnlyList<ColumnSpec> Columns, int ArenaSteps, int TrajectorySteps,
    int BatchSize, int WindowLength, bool AnchoredAtEnd, bool InDeviceTier = false, bool IntoDeviceMemory = false, bool Queued = false);

/// <summary>Microseconds per batch of each selection step (see <see cref="BackendMeasurements.SelectionMicroseconds"/>).</summary>
/// <param name="Weights">Importance weights of the batch's probabilities.</param>
/// <param name="UniformPicks">Uniform picks among the held items.</param>
/// <param name="TopK">The batch's worth of highest-priority items.</param>
public readonly record struct SelectionTimings(double Weights, double UniformPicks, double TopK);

/// <summary>
/// In-process timings of one backend's primitives, for <c>gear bench backends</c>: gathers of a workload's random
/// windows (bytes of window data per second) and prioritized selection (sample a batch from a large sum tree,
/// then update the priorities of what was sampled, as a learner does; microseconds per batch).
/// </summary>
public static class BackendMeasurements
{
    private const int PageSteps = 256;

    /// <summary>Gathers random windows of <paramref name="workload"/> for about <paramref name="duration"/>; returns window bytes per second.</summary>
    public static double GatherBytesPerSecond(IComputeBackend backend, GatherWorkload workload, TimeSpan duration, int seed = 1) =>
        BatchBytes(workload) / SecondsPerGather(backend, workload, duration, seed);

    /// <summary>
    /// The same gathers as <see cref="GatherBytesPerSecond"/> on a CUDA backend, each launch of the gather kernel
    /// timed by events (<see cref="KernelTiming"/>): window bytes per second of the kernel alone, without the call's
    /// fixed costs on the host (planning, the plan's copy, the launch call, the wait).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="backend"/> is not a CUDA backend.</exception>
    public static double GatherKernelBytesPerSecond(IComputeBackend backend, GatherWorkload workload, TimeSpan duration, int seed = 1)
    {
        var runtime = CudaRuntime.Of(backend);
        using var timing = new KernelTiming(runtime, Kernel.Gather);
        SecondsPerGather(backend, workload, duration, seed);
        return BatchBytes(workload) / timing.MeanSeconds;
    }

    private static double SecondsPerGather(IComputeBackend backend, GatherWorkload workload, TimeSpan duration, int seed)
    {
        var pagesPerTrajectory = (workload.TrajectorySteps + PageSteps - 1) / PageSteps;
        var trajectories = workload.ArenaSteps / workload.TrajectorySteps;
        var pageCount = trajectories * pagesPerTrajectory;
        var tierBytes = workload.InDeviceTier ? workload.Columns.Sum(c => (long)c.StepBytes) * PageSteps * pageCount : 0;
        using var storage = new PagedStorage(workload.Columns, PageSteps, pageCount, tierBytes);
        for (var c = 0; c < storage.ColumnCount; c++)
            Fill(storage, c);
        var pageTables = Enumerable.Range(0, trajectories)
            .Select(t => Enumerable.Range(t * pagesPerTrajectory, pagesPerTrajectory).ToArray()).ToArray();

        var random = new Random(seed);
        void Draw(WindowBatch batch)
        {
            for (var w = 0; w < workload.BatchSize; w++)
            {
                var lastStart = workload.TrajectorySteps - workload.WindowLength;
                var start = workload.AnchoredAtEnd ? lastStart : random.Next(lastStart + 1);
                batch.Sources[w] = new WindowSource(pageTables[random.Next(trajectories)], 0, start, workload.TrajectorySteps);
            }
            batch.Count = workload.BatchSize;
        }

        var onDevice = workload.IntoDeviceMemory && backend is DeviceBackend;
        if (onDevice && workload.Queued)
            return SecondsPerQueuedGather(backend, workload, storage, Draw, duration);
        using var deviceBatch = onDevice ? DeviceBatch.Create(backend, workload.Columns, workload.BatchSize, workload.WindowLength) : null;
        using var hostBatch = deviceBatch is null ? new WindowBatch(workload.Columns, workload.BatchSize, workload.WindowLength) : null;
        var batch = deviceBatch?.Windows ?? hostBatch!;
        return PerCallTiming.SecondsPerCall(() => Draw(batch), () => backend.Gather(storage, batch), duration);
    }

    /// <summary>
    /// Gathers queued into two device batches in turn: each round waits for the gather queued into its batch two
    /// rounds before, draws new windows into it and queues their gather, so that one gather runs on the device while
    /// the host prepares the next. Seconds per gather over the whole run, draws and waits included.
    /// </summary>
    private static double SecondsPerQueuedGather(IComputeBackend backend, GatherWorkload workload, PagedStorage storage, Action<WindowBatch> draw, TimeSpan duration)
    {
        using var first = DeviceBatch.Create(backend, workload.Columns, workload.BatchSize, workload.WindowLength);
        using var second = DeviceBatch.Create(backend, workload.Columns, workload.BatchSize, workload.WindowLength);
        return SecondsPerAlternatingRound(first, second, batch =>
        {
            batch.WaitForGather();
            draw(batch.Windows);
            batch.QueueGather(storage);
        }, batch => batch.WaitForGather(), duration);
    }

    /// <summary>
    /// Rounds on two device batches in turn for about <paramref name="duration"/>, after a warm-up round on each
    /// (first-touch mappings, compiled kernels, grown plans and scratch) that is waited for: seconds per round over
    /// the whole run, the last two rounds' waits (<paramref name="wait"/>) included.
    /// </summary>
    private static double SecondsPerAlternatingRound(DeviceBatch first, DeviceBatch second, Action<DeviceBatch> round, Action<DeviceBatch> wait, TimeSpan duration)
    {
        round(first);
        round(second);
        wait(first);
        wait(second);
        var rounds = 0L;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
            round(rounds++ % 2 == 0 ? first : second);
        wait(first);
        wait(second);
        return clock.Elapsed.TotalSeconds / rounds;
    }

    /// <summary>The window bytes one gather of <paramref name="workload"/> moves (every column; the mask not counted).</summary>
    public static long BatchBytes(GatherWorkload workload) =>
        workload.Columns.Sum(column => (long)column.StepBytes) * workload.WindowLength * workload.BatchSize;

    /// <summary>
    /// The like-for-like reference for a device gather of <paramref name="workload"/>: a synchronous copy of exactly
    /// <see cref="BatchBytes"/> into device memory, from device memory when the workload's pages are in the device tier
    /// and from pinned host memory otherwise (the kinds of the device's peak copy references, <see cref="CudaCopyBandwidth"/>),
    /// timed per call as <see cref="GatherBytesPerSecond"/> times each gather (<see cref="PerCallTiming"/>); bytes per second.
    /// </summary>
    public static double SameBytesCopyBytesPerSecond(IComputeBackend backend, GatherWorkload workload, TimeSpan duration) =>
        CudaSynchronousCopy.BytesPerSecond(backend, BatchBytes(workload), workload.InDeviceTier, duration);

    /// <summary>
    /// Sample <paramref name="batchSize"/> stratified choices from a tree of <paramref name="leaves"/> random
    /// priorities, then update those leaves, for about <paramref name="duration"/>; returns microseconds per batch.
    /// </summary>
    public static double PrioritizedMicrosecondsPerBatch(IComputeBackend backend, int leaves, int batchSize, TimeSpan duration, int seed = 1)
    {
        using var tree = backend.CreateSumTree(leaves);
        var random = new Random(seed);
        var all = Enumerable.Range(0, leaves).ToArray();
        tree.SetBatch(all, all.Select(_ => random.NextDouble() + 1e-3).ToArray());
        var uniforms = new double[batchSize];
        var slots = new int[batchSize];
        var values = new double[batchSize];
        var batches = 0L;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            for (var i = 0; i < batchSize; i++)
                uniforms[i] = random.NextDouble();
            tree.SampleStratified(uniforms, slots, values);
            for (var i = 0; i < batchSize; i++)
                values[i] = values[i] * 0.5 + 0.5; // new priorities for what was sampled
            tree.SetBatch(slots, values);
            batches++;
        }
        return clock.Elapsed.TotalMicroseconds / batches;
    }

    /// <summary>
    /// A prioritized learner's loop, for about <paramref name="duration"/>: sample <paramref name="batchSize"/> one-step
    /// windows from a table of <paramref name="steps"/> step items of <paramref name="columns"/> (α 0.6, β 0.4), then
    /// send new priorities for them. On a device backend the windows go into device memory (<see cref="DeviceBatch"/>),
    /// each sample waited for, or with <paramref name="queued"/> into two batches in turn
    /// (<see cref="DeviceBatch.SampleQueuedAsync"/>), so that a batch's selection and update run while the other's
    /// gather is on the device; the CPU backend samples into host memory either way. Microseconds per batch.
    /// </summary>
    public static double LearnerMicrosecondsPerBatch(IComputeBackend backend, IReadOnlyList<ColumnSpec> columns, int steps, int batchSize,
        bool queued, TimeSpan duration, int seed = 1)
    {
        const int trajectorySteps = 1_024;
        using var table = new Table(new TableSpec
        {
            Name = "learner",
            Columns = columns,
            PageSteps = 16,
            HostCapacityBytes = steps * columns.Sum(c => (long)c.StepBytes),
            MaxTrajectories = steps / trajectorySteps + 1,
            Granularity = ItemGranularity.Step,
            Sampler = SelectorKind.Prioritized,
            Remover = SelectorKind.Fifo,
            PriorityExponent = 0.6,
            RateLimiter = RateLimiterSpec.MinSize(1),
        }, backend);
        var random = new Random(seed);
        var chunk = columns.Select(c => (ReadOnlyMemory<byte>)Enumerable.Range(0, 64 * c.StepBytes).Select(i => (byte)(i * 31 + c.StepBytes)).ToArray()).ToArray();
        for (var filled = 0; filled + trajectorySteps <= steps; filled += trajectorySteps)
        {
            var key = table.OpenTrajectory();
            for (var appended = 0; appended < trajectorySteps; appended += 64)
                table.Append(key, 64, chunk);
            table.Close(key, Enumerable.Range(0, trajectorySteps).Select(_ => random.NextDouble() + 1e-3).ToArray(), Timeout.InfiniteTimeSpan);
        }

        var request = new SampleRequest(batchSize, 1, WindowPlacement.StartAnchored, ImportanceExponent: 0.4);
        var stream = new RandomStream((ulong)seed);
        var newPriorities = Enumerable.Range(0, batchSize).Select(_ => random.NextDouble() + 1e-3).ToArray();
        var onDevice = backend is DeviceBackend;
        using var first = onDevice ? DeviceBatch.Create(backend, columns, batchSize, 1) : null;
        using var second = onDevice && queued ? DeviceBatch.Create(backend, columns, batchSize, 1) : null;
        using var hostBatch = onDevice ? null : new WindowBatch(columns, batchSize, 1);
        void Update(WindowBatch sampled) => table.UpdatePriorities(sampled.Keys, newPriorities.AsSpan(0, sampled.Count));

        if (second is null)
        {
            var windows = first?.Windows ?? hostBatch!;
            return PerCallTiming.SecondsPerCall(() => { }, () =>
            {
                table.Sample(request, stream, windows, Timeout.InfiniteTimeSpan);
                Update(windows);
            }, duration) * 1e6;
        }

        return SecondsPerAlternatingRound(first!, second, batch =>
        {
            // Waits for this batch's gather queued two rounds ago (the learner trained on it meanwhile), then queues the next.
            batch.SampleQueuedAsync(table, request, stream, Timeout.InfiniteTimeSpan).AsTask().GetAwaiter().GetResult();
            Update(batch.Windows);
        }, batch => batch.WaitForSample(), duration) * 1e6;
    }

    /// <summary>
    /// Each selection step for a batch of <paramref name="batchSize"/> over <paramref name="items"/> held items of
    /// random priorities, for about <paramref name="duration"/> each, as a table on <paramref name="backend"/> runs
    /// it: importance weights (<see cref="IComputeBackend.ImportanceWeights"/>) and selections by the uniform and
    /// top-k selectors the backend samples with (<see cref="IComputeBackend.SamplingSelector"/>: on the CPU the
    /// selectors themselves; on a device, kernels over device copies of their state, which are up to date after the
    /// first call, so a call copies in only its uniforms).
    /// </summary>
    public static SelectionTimings SelectionMicroseconds(IComputeBackend backend, int items, int batchSize, TimeSpan duration, int seed = 1)
    {
        var random = new Random(seed);
        var probabilities = Enumerable.Range(0, batchSize).Select(_ => random.NextDouble() * 1e-3 + 1e-9).ToArray();
        var uniforms = Enumerable.Range(0, batchSize).Select(_ => random.NextDouble()).ToArray();
        var priorities = Enumerable.Range(0, items).Select(_ => random.NextDouble()).ToArray();
        var weights = new double[batchSize];
        var slots = new int[batchSize];
        var chosen = new double[batchSize];
        var uniform = backend.SamplingSelector(new UniformSelector(items));
        var topK = backend.SamplingSelector(new TopKSelector(items));
        try
        {
            uniform.InsertRun(0, priorities);
            for (var s = 0; s < items; s++)
                topK.Insert(s, priorities[s]);
            return new(
                MicrosecondsPerCall(() => backend.ImportanceWeights(probabilities, items, 0.4, weights), duration),
                MicrosecondsPerCall(() => uniform.Select(uniforms, slots, chosen), duration),
                MicrosecondsPerCall(() => topK.Select(uniforms, slots, chosen), duration));
        }
        finally
        {
            (uniform as IDisposable)?.Dispose();
            (topK as IDisposable)?.Dispose();
        }
    }

    private static double MicrosecondsPerCall(Action call, TimeSpan duration) =>
        PerCallTiming.SecondsPerCall(() => { }, call, duration) * 1e6;

    private static unsafe void Fill(PagedStorage storage, int column)
    {
        var pool = new Span<byte>(storage.PoolBase(column), checked((int)(storage.PageBytes(column) * storage.PageCount)));
        for (var i = 0; i < pool.Length; i++)
            pool[i] = (byte)(i * 31 + column);
    }
}
