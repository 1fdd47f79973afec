using Gear.Core.Sampling;
using Gear.Core.Selection;
using Gear.Core.Storage;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// The compute backend on a device: sum trees in device memory and gathers by kernel, over an
/// <see cref="IDeviceRuntime"/> (CUDA, or the tests' host emulation). Gathers go on the runtime's queue and
/// selection (sum trees, picks, top-k, importance weights) on a second one, so that a sample's selection, which
/// waits for its own result, does not also wait for the gathers queued before it (<see cref="QueueGather"/>).
/// One gate serialises the calls on both, so gathers and selections from several threads are safe.
/// </summary>
internal sealed class DeviceBackend : IComputeBackend
{
    private readonly IDeviceRuntime _runtime;
    private readonly IDeviceRuntime _selectionQueue;
    private readonly Lock _gate = new();
    private readonly DeviceGather _gather;
    private readonly DeviceSelection _selection;
    private readonly List<StorageMapping> _arenas = [];
    private readonly List<IGatherTarget> _batches = [];
    private bool _disposed;

    /// <summary>Creates a backend that owns <paramref name="runtime"/> (and disposes it if this fails).</summary>
    public DeviceBackend(IDeviceRuntime runtime)
    {
        _runtime = runtime;
        _gather = new DeviceGather(runtime);
        try
        {
            _selectionQueue = runtime.OpenQueue();
        }
        catch
        {
            runtime.Dispose();
            throw;
        }
        _selection = new DeviceSelection(_selectionQueue, _gate);
    }

    /// <inheritdoc/>
    public string Name => _runtime.Name;

    /// <summary>The runtime (for measurements that need the device itself).</summary>
    internal IDeviceRuntime Runtime => _runtime;

    /// <summary>
    /// Importance weights, uniform picks and top-k as kernels: what tables on this backend select with
    /// (<see cref="IComputeBackend.SamplingSelector"/>, <see cref="IComputeBackend.ImportanceWeights"/>), compared
    /// with the CPU's selectors by <see cref="BackendComparison"/>.
    /// </summary>
    internal DeviceSelection Selection
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _selection;
        }
    }

    /// <inheritdoc/>
    IItemSelector IComputeBackend.SamplingSelector(IItemSelector selector)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return selector switch
        {
            UniformSelector uniform => new DeviceUniformSelector(uniform, _selection),
            TopKSelector topK => new DeviceTopKSelector(topK, _selection),
            _ => selector,
        };
    }

    /// <inheritdoc/>
    void IComputeBackend.ImportanceWeights(ReadOnlySpan<double> probabilities, int itemCount, double beta, Span<double> weights) =>
        Selection.ImportanceWeights(probabilities, itemCount, beta, weights);

    /// <inheritdoc/>
    public IPrioritySumTree CreateSumTree(int capacity)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new DeviceSumTree(_selectionQueue, _gate, capacity);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The first gather from an arena maps its pools for the device and fills its device tier (see
    /// <see cref="StorageMapping"/>); every gather first copies the tier pages written since the last one. The
    /// first gather into a batch registers its buffers (<see cref="BatchMapping"/>), which the kernels then write;
    /// a <see cref="DeviceBatch"/>'s windows are written to its device outputs (<see cref="DeviceColumns"/>) instead.
    /// </remarks>
    public void Gather(PagedStorage storage, WindowBatch output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_gate)
            _gather.Gather(storage, MappingOf(storage), output, MappingOf(output));
    }

    /// <summary>
    /// Queues the gather of <see cref="Gather"/> into <paramref name="queued"/>'s plan and returns once it is queued;
    /// <see cref="QueuedGather.Wait"/> waits for it. Until then the pages it reads must not be freed or rewritten,
    /// and <paramref name="output"/> must not be gathered into again.
    /// </summary>
    internal void QueueGather(PagedStorage storage, WindowBatch output, QueuedGather queued)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_gate)
        {
            queued.CheckReady();
            // The plan is the batch's own, and its last gather has been waited for: its upload may overlap the
            // gathers still queued before it.
            _gather.Queue(storage, MappingOf(storage), output, MappingOf(output), queued.Plan, uploadAhead: true);
            queued.MarkQueued();
        }
    }

    /// <summary>A plan and a marker of its own for a batch whose gathers are queued (<see cref="QueueGather"/>).</summary>
    internal QueuedGather CreateQueuedGather()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new QueuedGather(_runtime, _gate);
    }

    /// <summary>Device outputs for a <see cref="DeviceBatch"/>, set as <paramref name="batch"/>'s mapping.</summary>
    internal DeviceColumns CreateDeviceColumns(WindowBatch batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_gate)
        {
            var columns = new DeviceColumns(_runtime, _gate, batch);
            batch.DeviceMapping = columns;
            _batches.RemoveAll(m => m.Released);
            _batches.Add(columns);
            return columns;
        }
    }

    /// <summary>Any batch with host buffers (registered at its first gather), or a live <see cref="DeviceBatch"/> of this backend's.</summary>
    void IComputeBackend.CheckOutput(WindowBatch output)
    {
        if (output.DeviceMapping is not DeviceColumns onDevice)
            return;
        if (onDevice.Released)
            throw new ObjectDisposedException(nameof(DeviceBatch), "This batch's device outputs were freed with their backend.");
        if (!ReferenceEquals(onDevice.Runtime, _runtime))
            throw new InvalidOperationException("This batch's outputs are in the memory of another device backend; sample it from a table on that backend.");
    }

    private IGatherTarget MappingOf(WindowBatch batch)
    {
        ((IComputeBackend)this).CheckOutput(batch);
        if (batch.DeviceMapping is DeviceColumns onDevice)
            return onDevice;
        if (batch.DeviceMapping is BatchMapping existing && existing.Maps(batch, _runtime))
            return existing;
        batch.DeviceMapping?.Dispose(); // another backend's: its registration must go before this one's
        var mapping = new BatchMapping(_runtime, _gate, batch);
        batch.DeviceMapping = mapping;
        _batches.RemoveAll(m => m.Released); // batches come and go with request streams
        _batches.Add(mapping);
        return mapping;
    }

    private StorageMapping MappingOf(PagedStorage storage)
    {
        if (storage.DeviceMapping is StorageMapping existing && existing.Maps(storage, _runtime))
            return existing;
        var mapping = new StorageMapping(_runtime, _gate, storage);
        storage.DeviceMapping = mapping; // before Populate: see StorageMapping.Populate
        _arenas.RemoveAll(m => m.Released);
        _arenas.Add(mapping);
        mapping.Populate();
        return mapping;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        lock (_gate)
        {
            foreach (var mapping in _arenas)
                mapping.Dispose();
            foreach (var mapping in _batches)
                mapping.Dispose();
            _gather.Dispose();
        }
        _selection.Dispose();
        _selectionQueue.Dispose();
        _runtime.Dispose();
    }
}
