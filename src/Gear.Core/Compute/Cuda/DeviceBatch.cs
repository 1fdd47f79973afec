using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Storage;
using Gear.Core.Tables;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// A batch that stays in device memory, for a learner in the same process: sample into <see cref="Windows"/> from a
/// table on the same CUDA backend (<c>table.Sample(request, random, batch.Windows, timeout)</c>) and the gather
/// kernels write the windows into one device buffer per column and a device mask, never to host memory; the
/// learner hands <see cref="ColumnAddress"/> and <see cref="MaskAddress"/> (CUDA device pointers in the backend's
/// context) to its own kernels. The per-window metadata (keys, start steps, probabilities, importance weights,
/// <see cref="WindowBatch.Count"/>) lands in <see cref="Windows"/> on the host as for any batch, where priority
/// updates need it. Layout as <see cref="WindowBatch.Column(int)"/>: window-major, then step, then the step's bytes;
/// the mask one byte (0 or 1) per position. Reuse it per request stream: sampling into it allocates nothing.
/// </summary>
/// <remarks>
/// <see cref="Windows"/> has no host column buffers and no host mask (its <see cref="WindowBatch.Column(int)"/> and
/// <see cref="WindowBatch.Mask"/> throw): read the outputs on the device, or copy them back with
/// <see cref="CopyColumnToHost"/> and <see cref="CopyMaskToHost"/>. The device
/// buffers are ordered with the backend's gathers (the sample returns after they are written), not with the
/// learner's own streams: a learner that reads them on another stream must not sample into the batch again until
/// it has finished with them.
/// <para>
/// <see cref="SampleQueuedAsync"/> returns as soon as the windows are chosen and their gather is queued on the device,
/// so that a learner working on one batch has the next one gathered meanwhile (two batches, alternating);
/// <see cref="WaitForSample"/> waits for that gather alone. Not thread-safe: one learner stream uses a batch.
/// </para>
/// </remarks>
public sealed class DeviceBatch : IDisposable
{
    private readonly DeviceBackend _backend;
    private readonly DeviceColumns _columns;
    private readonly QueuedGather _queued;
    private Table? _heldBy;

    private DeviceBatch(DeviceBackend backend, WindowBatch windows, DeviceColumns columns, QueuedGather queued)
    {
        _backend = backend;
        Windows = windows;
        _columns = columns;
        _queued = queued;
    }

    /// <summary>
    /// Allocates device outputs for <paramref name="batchSize"/> windows of <paramref name="windowLength"/> steps of
    /// <paramref name="columns"/> on <paramref name="backend"/>, which must be a CUDA backend (<see cref="CudaBackend.TryCreate"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The backend is not a device backend.</exception>
    public static DeviceBatch Create(IComputeBackend backend, IReadOnlyList<ColumnSpec> columns, int batchSize, int windowLength)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (backend is not DeviceBackend device)
            throw new ArgumentException($"Batches in device memory need a CUDA backend; '{backend.Name}' is not one.", nameof(backend));
        var windows = WindowBatch.WithoutHostBuffers(columns, batchSize, windowLength);
        try
        {
            var deviceColumns = device.CreateDeviceColumns(windows);
            return new DeviceBatch(device, windows, deviceColumns, device.CreateQueuedGather());
        }
        catch
        {
            windows.Dispose(); // and with it the device columns, its mapping
            throw;
        }
    }

    /// <summary>
    /// Samples from <paramref name="table"/>, which must be on this batch's backend, as
    /// <see cref="Table.SampleAsync(SampleRequest, RandomStream, WindowBatch, TimeSpan, CancellationToken)"/> does into
    /// <see cref="Windows"/>, but returns once the windows are chosen (<see cref="Windows"/>' metadata is final) and
    /// their gather into the device outputs is queued. Read the outputs only after <see cref="WaitForSample"/>. Until
    /// then the table holds the sampled trajectories' pages, as for <see cref="Table.SampleHeldAsync"/>: inserts that
    /// need those pages wait, so wait soon. A batch with a queued sample first waits for it.
    /// </summary>
    /// <exception cref="Errors.GearException">As SampleAsync; nothing is queued or held then.</exception>
    /// <exception cref="InvalidOperationException">The table is not on this batch's backend.</exception>
    public async ValueTask SampleQueuedAsync(Table table, SampleRequest request, RandomStream random, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        WaitForSample();
        await table.SampleHeldAsync(request, random, Windows, timeout, cancellationToken).ConfigureAwait(false);
        try
        {
            table.QueueGatherHeld(Windows, _queued);
        }
        catch
        {
            table.ReleaseHeld(Windows);
            throw;
        }
        _heldBy = table;
    }

    /// <summary>
    /// Waits for the gather of the last <see cref="SampleQueuedAsync"/> (not for work queued after it) and releases
    /// the table's hold on its pages; the device outputs then hold the windows. Does nothing if none is queued.
    /// </summary>
    public void WaitForSample()
    {
        if (_heldBy is not { } table)
            return;
        _queued.Wait();
        _heldBy = null;
        table.ReleaseHeld(Windows);
    }

    /// <summary>Queues the gather of <see cref="Windows"/>' sources from <paramref name="storage"/> (benchmarks: no table, no hold).</summary>
    internal void QueueGather(PagedStorage storage) => _backend.QueueGather(storage, Windows, _queued);

    /// <summary>Waits for the gather of <see cref="QueueGather"/>.</summary>
    internal void WaitForGather() => _queued.Wait();

    /// <summary>The batch to sample into; after a sample, its metadata (it has no host column buffers or mask: see remarks).</summary>
    public WindowBatch Windows { get; }

    /// <summary>The device address of <paramref name="column"/>'s output: <see cref="WindowBatch.WindowBytes"/> × Count bytes filled.</summary>
    public ulong ColumnAddress(int column) => _columns.Column(column);

    /// <summary>The device address of the mask: Count × L bytes, 1 where a position holds a real step, 0 for padding.</summary>
    public ulong MaskAddress
    {
        get
        {
            ObjectDisposedException.ThrowIf(_columns.Released, this);
            return _columns.Mask;
        }
    }

    /// <summary>Copies the filled part of <paramref name="column"/>'s device output into <paramref name="destination"/>.</summary>
    public unsafe void CopyColumnToHost(int column, Span<byte> destination)
    {
        var bytes = Windows.Count * Windows.WindowBytes(column);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, bytes, nameof(destination));
        fixed (byte* target = destination)
            _columns.CopyToHost(ColumnAddress(column), target, bytes);
    }

    /// <summary>Copies the filled part of the device mask into <paramref name="destination"/>.</summary>
    public unsafe void CopyMaskToHost(Span<bool> destination)
    {
        var positions = Windows.Count * Windows.WindowLength;
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, positions, nameof(destination));
        fixed (bool* target = destination)
            _columns.CopyToHost(MaskAddress, target, positions);
    }

    /// <summary>Fills every device output with <paramref name="value"/>, so that a comparison sees unwritten bytes.</summary>
    internal void Poison(byte value) => _columns.Fill(value, Windows);

    /// <summary>Waits for a queued sample and releases its hold, then frees the device outputs and the batch.</summary>
    public void Dispose()
    {
        WaitForSample();
        _queued.Dispose();
        Windows.Dispose(); // disposes its DeviceMapping: the device outputs
    }
}
