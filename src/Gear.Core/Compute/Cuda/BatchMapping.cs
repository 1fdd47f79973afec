using Gear.Core.Sampling;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// A <see cref="WindowBatch"/>'s column buffers and mask registered with the device (page-locked and mapped), so
/// that the gather kernel writes the windows straight into the caller's host memory over the bus: the batch's
/// buffers are the pinned staging a transport sends from, with no device buffer and no copy in between. Made on
/// a batch's first gather and kept until the batch or the backend is disposed (a batch is reused per request
/// stream, so registration is paid once).
/// </summary>
internal sealed unsafe class BatchMapping : HostRegistration
{
    private readonly WindowBatch _batch;
    private readonly DeviceBuffer _columnInfo;

    /// <summary>Registers <paramref name="batch"/>'s buffers; call under <paramref name="gate"/>.</summary>
    public BatchMapping(IDeviceRuntime runtime, Lock gate, WindowBatch batch)
        : base(runtime, gate)
    {
        _batch = batch;
        _columnInfo = new DeviceBuffer(runtime);
        var columns = batch.Columns.Count;
        try
        {
            // The kernel's column table, per column the output address (u64), then the step sizes (int; u64s
            // first so that both stay aligned): fixed for the batch's life, so uploaded once here.
            var infoBytes = columns * (sizeof(ulong) + sizeof(int));
            var info = stackalloc byte[infoBytes];
            var outputs = (ulong*)info;
            var stepBytes = (int*)(info + columns * sizeof(ulong));
            for (var c = 0; c < columns; c++)
            {
                outputs[c] = Map(batch.ColumnPointer(c), batch.ColumnCapacity(c));
                stepBytes[c] = batch.Columns[c].StepBytes;
            }
            Mask = Map(batch.MaskPointer, batch.MaskCapacity);
            ColumnOutputs = _columnInfo.Ensure(infoBytes);
            ColumnStepBytes = ColumnOutputs + (ulong)(columns * sizeof(ulong));
            runtime.CopyToDevice(ColumnOutputs, info, infoBytes);
        }
        catch
        {
            Release();
            throw;
        }
    }

    /// <summary>Device address of the table of each column's output address (u64 each).</summary>
    public ulong ColumnOutputs { get; }

    /// <summary>Device address of the table of each column's step size (int each).</summary>
    public ulong ColumnStepBytes { get; }

    /// <summary>Device address of the mask.</summary>
    public ulong Mask { get; }

    /// <inheritdoc/>
    protected override void FreeDeviceMemory() => _columnInfo.Dispose();

    /// <summary>Whether this maps <paramref name="batch"/> for <paramref name="runtime"/>.</summary>
    public bool Maps(WindowBatch batch, IDeviceRuntime runtime) =>
        !Released && ReferenceEquals(batch, _batch) && ReferenceEquals(runtime, Runtime);
}
