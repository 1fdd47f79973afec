using Gear.Core.Sampling;
using Gear.Core.Schema;

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
/// <see cref="Windows"/>' own host column buffers and mask are not written by device gathers (they hold address
/// space, not memory, until touched): read the outputs on the device, or copy them back with
/// <see cref="CopyColumnToHost"/> and <see cref="CopyMaskToHost"/>. The device
/// buffers are ordered with the backend's gathers (the sample returns after they are written), not with the
/// learner's own streams: a learner that reads them on another stream must not sample into the batch again until
/// it has finished with them.
/// </remarks>
public sealed unsafe class DeviceBatch : IDisposable
{
    private readonly DeviceColumns _columns;

    private DeviceBatch(WindowBatch windows, DeviceColumns columns)
    {
        Windows = windows;
        _columns = columns;
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
        var windows = new WindowBatch(columns, batchSize, windowLength);
        try
        {
            return new DeviceBatch(windows, device.CreateDeviceColumns(windows));
        }
        catch
        {
            windows.Dispose();
            throw;
        }
    }

    /// <summary>The batch to sample into; after a sample, its metadata (its column buffers stay unwritten: see remarks).</summary>
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
    public void CopyColumnToHost(int column, Span<byte> destination)
    {
        var bytes = Windows.Count * Windows.WindowBytes(column);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, bytes, nameof(destination));
        fixed (byte* target = destination)
            _columns.CopyToHost(ColumnAddress(column), target, bytes);
    }

    /// <summary>Copies the filled part of the device mask into <paramref name="destination"/>.</summary>
    public void CopyMaskToHost(Span<bool> destination)
    {
        var positions = Windows.Count * Windows.WindowLength;
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, positions, nameof(destination));
        fixed (bool* target = destination)
            _columns.CopyToHost(MaskAddress, target, positions);
    }

    /// <summary>Fills every device output with <paramref name="value"/>, so that a comparison sees unwritten bytes.</summary>
    internal void Poison(byte value) => _columns.Fill(value, Windows);

    /// <summary>Frees the device outputs and the batch.</summary>
    public void Dispose() => Windows.Dispose(); // disposes its DeviceMapping: the device outputs
}
