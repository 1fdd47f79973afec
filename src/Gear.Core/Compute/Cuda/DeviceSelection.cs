using Gear.Core.Selection;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// Importance weights, uniform picks and top-k on the device (kernels/selection.cu), each queueing its phases one
/// after another on the backend's device and waiting for the result. The weights take a batch's probabilities from
/// the host (they are per batch); the picks and top-k read the selection state from device copies that the device
/// selectors (<see cref="DeviceUniformSelector"/>, <see cref="DeviceTopKSelector"/>) keep in step with their host
/// selectors, so that a selection copies in only its uniforms.
/// </summary>
internal sealed unsafe class DeviceSelection(IDeviceRuntime runtime, Lock gate) : ISelectionKernels, IDisposable
{
    /// <summary>Copies of the top-k histogram that warps count into (GEAR_TOPK_COPIES in kernels/selection.cu).</summary>
    private const int HistogramCopies = 128;

    private const int HistogramBytes = HistogramCopies * 256 * sizeof(uint);

    /// <summary>
    /// Top-k passes queued between two looks at whether the search has settled. Distinct random priorities settle
    /// within a few passes (of 16), and the launches of the passes after it, though they return at once, cost more
    /// than a look (a copy of the state back and a wait), which the first settled look saves them.
    /// </summary>
    private const int TopKPassesPerLook = 4;

    // Grow-only scratch for each call's arrays, in the order the call lists them.
    private readonly DeviceBuffer _first = new(runtime);
    private readonly DeviceBuffer _second = new(runtime);
    private readonly DeviceBuffer _third = new(runtime);
    private readonly DeviceBuffer _output = new(runtime);

    /// <summary>The device the kernels run on; the device selectors keep their copies there.</summary>
    public IDeviceRuntime Runtime => runtime;

    /// <summary>The backend's gate, which every device call is made under.</summary>
    public Lock Gate => gate;

    /// <inheritdoc/>
    /// <remarks>
    /// The batch minimum is a two-level reduction without cooperation: about √n threads each take the minimum of
    /// a strided share, then one thread the minimum of theirs; then one thread per weight. A minimum does not
    /// depend on the order it is taken in, and the quotients round as on the CPU; the power is the device's
    /// <c>pow</c>, where the CPU raises four at a time as exp(β·log x) (<c>Powers</c>), so weights agree within
    /// <see cref="SelectionComparison.WeightTolerance"/> relative, not bit for bit, except that β = 0 gives ones
    /// and the least likely items exactly 1 on both.
    /// </remarks>
    public void ImportanceWeights(ReadOnlySpan<double> probabilities, int itemCount, double beta, Span<double> weights)
    {
        Selection.ImportanceWeights.Check(probabilities, itemCount, beta, weights.Length);
        var n = probabilities.Length;
        if (n == 0)
            return;
        lock (gate)
        {
            var partialBlocks = LaunchShape.Blocks((long)Math.Sqrt(n) + 1);
            var partialCount = (int)(partialBlocks * LaunchShape.BlockThreads);
            var input = _first.Ensure((long)n * sizeof(double));
            var partial = _second.Ensure((long)(partialCount + 1) * sizeof(double));
            var smallest = partial + (ulong)partialCount * sizeof(double);
            var output = _output.Ensure((long)n * sizeof(double));
            fixed (double* p = probabilities)
            fixed (double* w = weights)
            {
                runtime.CopyToDevice(input, p, (long)n * sizeof(double));
                void** args = stackalloc void*[5];
                args[0] = &input; args[1] = &n; args[2] = &partial;
                runtime.Launch(Kernel.WeightsPartialMin, partialBlocks, 1, LaunchShape.BlockThreads, args);
                args[0] = &partial; args[1] = &partialCount; args[2] = &smallest;
                runtime.Launch(Kernel.WeightsMin, 1, 1, 1, args);
                args[0] = &input; args[1] = &n; args[2] = &smallest; args[3] = &beta; args[4] = &output;
                runtime.Launch(Kernel.Weights, LaunchShape.Blocks(n), 1, LaunchShape.BlockThreads, args);
                runtime.CopyToHost(w, output, (long)n * sizeof(double));
                runtime.Synchronize();
            }
        }
    }

    /// <summary>
    /// One slot per uniform, picked as <c>SlotSet.Pick</c> picks it, from a device copy of a slot set: its bitmap
    /// <paramref name="words"/> and its Fenwick tree <paramref name="tree"/> (descended from <paramref name="topStep"/>),
    /// with <paramref name="count"/> slots held (at least one), all below <paramref name="range"/> (<c>SlotSet.PickRange</c>).
    /// Call under the gate, after flushing the copies.
    /// </summary>
    public void UniformPicks(ReadOnlySpan<double> uniforms, ulong words, ulong tree, int topStep, int range, int count, Span<int> slots)
    {
        var n = uniforms.Length;
        var deviceUniforms = _first.Ensure((long)n * sizeof(double));
        var output = _output.Ensure((long)n * sizeof(int));
        fixed (double* u = uniforms)
        fixed (int* s = slots)
        {
            runtime.CopyToDevice(deviceUniforms, u, (long)n * sizeof(double));
            void** args = stackalloc void*[8];
            args[0] = &deviceUniforms; args[1] = &n; args[2] = &words; args[3] = &tree;
            args[4] = &topStep; args[5] = &range; args[6] = &count; args[7] = &output;
            runtime.Launch(Kernel.UniformPick, LaunchShape.Blocks(n), 1, LaunchShape.BlockThreads, args);
            runtime.CopyToHost(s, output, (long)n * sizeof(int));
            runtime.Synchronize();
        }
    }

    /// <summary>
    /// <paramref name="slots"/>.Length choices in <see cref="TopKSelector"/>'s order from device copies of a top-k
    /// state: <paramref name="priorities"/> and <paramref name="stamps"/> per slot of [0, <paramref name="capacity"/>),
    /// a slot held where its stamp (the update number of its last insert or update) is ≥ 0, <paramref name="held"/>
    /// of them (at least one): by priority, highest first, equal priorities by lower stamp, starting again from the
    /// best after the last held slot. Call under the gate, after flushing the copies.
    /// </summary>
    /// <remarks>
    /// A radix select of the k-th best (priority, stamp) key, k = min(choices, held): up to 16 byte passes, each a
    /// histogram over the capacity (counted in <see cref="HistogramCopies"/> copies, so that the many slots of one
    /// byte do not queue on one counter), a merge of the copies and a one-thread narrowing, so 48 launches and
    /// O(16 · capacity) work at most: once a byte holds exactly the slots still wanted the search has settled, and
    /// the host, which looks every <see cref="TopKPassesPerLook"/> passes, queues no more (a pass queued after it
    /// returns at once); then the k slots at or above the prefix are collected and each ranked among the others,
    /// O(capacity + k²). The choices past the k-th repeat the list on the host, as the CPU selector does.
    /// </remarks>
    public void TopK(ulong priorities, ulong stamps, int capacity, int held, Span<int> slots)
    {
        var n = slots.Length;
        var k = Math.Min(n, held);
        var state = _third.Ensure(sizeof(DeviceTopKState) + HistogramBytes);
        var histogram = state + (ulong)sizeof(DeviceTopKState);
        var candidates = _output.Ensure((long)k * sizeof(int) * 2);
        var output = candidates + (ulong)k * sizeof(int);
        var initial = new DeviceTopKState(0, 0, k, 0, 0);
        fixed (int* s = slots)
        {
            runtime.CopyToDevice(state, &initial, sizeof(DeviceTopKState));
            runtime.Fill32(histogram, 0, HistogramBytes / sizeof(uint));
            var blocks = LaunchShape.Blocks(capacity);
            void** args = stackalloc void*[6];
            var settled = false;
            for (var pass = 0; pass < 16 && !settled; pass++)
            {
                args[0] = &priorities; args[1] = &stamps; args[2] = &capacity; args[3] = &state;
                args[4] = &pass; args[5] = &histogram;
                runtime.Launch(Kernel.TopKHistogram, blocks, 1, LaunchShape.BlockThreads, args);
                args[0] = &state; args[1] = &histogram;
                runtime.Launch(Kernel.TopKMerge, 1, 1, LaunchShape.BlockThreads, args);
                args[0] = &state; args[1] = &pass; args[2] = &histogram;
                runtime.Launch(Kernel.TopKNarrow, 1, 1, 1, args);
                if (pass % TopKPassesPerLook == TopKPassesPerLook - 1 && pass < 15)
                {
                    DeviceTopKState found;
                    runtime.CopyToHost(&found, state, sizeof(DeviceTopKState));
                    runtime.Synchronize();
                    settled = found.Settled != 0;
                }
            }
            args[0] = &priorities; args[1] = &stamps; args[2] = &capacity; args[3] = &state; args[4] = &candidates;
            runtime.Launch(Kernel.TopKCollect, blocks, 1, LaunchShape.BlockThreads, args);
            args[0] = &priorities; args[1] = &stamps; args[2] = &candidates; args[3] = &k; args[4] = &output;
            runtime.Launch(Kernel.TopKRank, LaunchShape.Blocks(k), 1, LaunchShape.BlockThreads, args);
            runtime.CopyToHost(s, output, (long)k * sizeof(int));
            runtime.Synchronize();
        }
        for (var i = k; i < n; i++)
            slots[i] = slots[i - k];
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (gate)
        {
            _first.Dispose();
            _second.Dispose();
            _third.Dispose();
            _output.Dispose();
        }
    }
}
