using Gear.Core.Selection;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// Importance weights, uniform picks and top-k on the device (kernels/selection.cu). Each call checks its arguments
/// on the host as the CPU code does, copies its inputs in, queues the phases one after another on the backend's
/// device, and waits for the result. The inputs come from host memory because a table's selection state (its slot
/// sets and heaps) lives on the host in this build; that is also why tables do not call these yet (see
/// kernels/README.md).
/// </summary>
internal sealed unsafe class DeviceSelection(IDeviceRuntime runtime, Lock gate) : ISelectionKernels, IDisposable
{
    private const int HistogramBytes = 256 * sizeof(uint);

    // Grow-only scratch for each call's arrays, in the order the call lists them.
    private readonly DeviceBuffer _first = new(runtime);
    private readonly DeviceBuffer _second = new(runtime);
    private readonly DeviceBuffer _third = new(runtime);
    private readonly DeviceBuffer _output = new(runtime);

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

    /// <inheritdoc/>
    public void UniformPicks(ReadOnlySpan<double> uniforms, ReadOnlySpan<ulong> held, ReadOnlySpan<int> ranked, int capacity, Span<int> slots)
    {
        SelectorGuards.CheckCapacity(capacity);
        if (held.Length != (capacity + 63) / 64)
            throw new ArgumentException($"A bitmap of {capacity} slots has {(capacity + 63) / 64} words; got {held.Length}.", nameof(held));
        var n = uniforms.Length;
        var count = ranked.Length;
        SelectorGuards.CheckSelect(count, n, slots.Length, slots.Length);
        if (n == 0)
            return;
        lock (gate)
        {
            var deviceUniforms = _first.Ensure((long)n * sizeof(double));
            var deviceHeld = _second.Ensure((long)held.Length * sizeof(ulong));
            var deviceRanked = _third.Ensure((long)count * sizeof(int));
            var output = _output.Ensure((long)n * sizeof(int));
            fixed (double* u = uniforms)
            fixed (ulong* h = held)
            fixed (int* r = ranked)
            fixed (int* s = slots)
            {
                runtime.CopyToDevice(deviceUniforms, u, (long)n * sizeof(double));
                runtime.CopyToDevice(deviceHeld, h, (long)held.Length * sizeof(ulong));
                runtime.CopyToDevice(deviceRanked, r, (long)count * sizeof(int));
                void** args = stackalloc void*[7];
                args[0] = &deviceUniforms; args[1] = &n; args[2] = &deviceHeld; args[3] = &deviceRanked;
                args[4] = &capacity; args[5] = &count; args[6] = &output;
                runtime.Launch(Kernel.UniformPick, LaunchShape.Blocks(n), 1, LaunchShape.BlockThreads, args);
                runtime.CopyToHost(s, output, (long)n * sizeof(int));
                runtime.Synchronize();
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A radix select of the k-th best (priority, stamp) key, k = min(choices, held): 16 byte passes, each a
    /// histogram over the capacity and a one-thread narrowing, so 32 launches and O(16 · capacity) work; then the
    /// k slots at or above it are collected and each ranked among the others, O(capacity + k²). The choices past
    /// the k-th repeat the list on the host, as the CPU selector does.
    /// </remarks>
    public void TopK(ReadOnlySpan<double> priorities, ReadOnlySpan<long> stamps, Span<int> slots)
    {
        if (priorities.Length != stamps.Length)
            throw new ArgumentException($"Top-k needs one stamp per priority; got {priorities.Length} priorities and {stamps.Length} stamps.", nameof(stamps));
        var capacity = priorities.Length;
        var held = 0;
        foreach (var stamp in stamps)
            held += stamp >= 0 ? 1 : 0;
        var n = slots.Length;
        SelectorGuards.CheckSelect(held, n, n, n);
        if (n == 0)
            return;
        var k = Math.Min(n, held);
        lock (gate)
        {
            var devicePriorities = _first.Ensure((long)capacity * sizeof(double));
            var deviceStamps = _second.Ensure((long)capacity * sizeof(long));
            var state = _third.Ensure(sizeof(DeviceTopKState) + HistogramBytes);
            var histogram = state + (ulong)sizeof(DeviceTopKState);
            var candidates = _output.Ensure((long)k * sizeof(int) * 2);
            var output = candidates + (ulong)k * sizeof(int);
            var initial = new DeviceTopKState(0, 0, k, 0);
            fixed (double* p = priorities)
            fixed (long* t = stamps)
            fixed (int* s = slots)
            {
                runtime.CopyToDevice(devicePriorities, p, (long)capacity * sizeof(double));
                runtime.CopyToDevice(deviceStamps, t, (long)capacity * sizeof(long));
                runtime.CopyToDevice(state, &initial, sizeof(DeviceTopKState));
                runtime.Fill32(histogram, 0, HistogramBytes / sizeof(uint));
                var blocks = LaunchShape.Blocks(capacity);
                void** args = stackalloc void*[6];
                for (var pass = 0; pass < 16; pass++)
                {
                    args[0] = &devicePriorities; args[1] = &deviceStamps; args[2] = &capacity; args[3] = &state;
                    args[4] = &pass; args[5] = &histogram;
                    runtime.Launch(Kernel.TopKHistogram, blocks, 1, LaunchShape.BlockThreads, args);
                    args[0] = &state; args[1] = &pass; args[2] = &histogram;
                    runtime.Launch(Kernel.TopKNarrow, 1, 1, 1, args);
                }
                args[0] = &devicePriorities; args[1] = &deviceStamps; args[2] = &capacity; args[3] = &state; args[4] = &candidates;
                runtime.Launch(Kernel.TopKCollect, blocks, 1, LaunchShape.BlockThreads, args);
                args[0] = &devicePriorities; args[1] = &deviceStamps; args[2] = &candidates; args[3] = &k; args[4] = &output;
                runtime.Launch(Kernel.TopKRank, LaunchShape.Blocks(k), 1, LaunchShape.BlockThreads, args);
                runtime.CopyToHost(s, output, (long)k * sizeof(int));
                runtime.Synchronize();
            }
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
