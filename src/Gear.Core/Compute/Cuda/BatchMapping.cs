using Gear.Core.Sampling;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// A <see cref="WindowBatch"/>'s column buffers and mask registered with the device (page-locked and mapped), so
/// that the gather kernel writes the windows straight into the caller's host memory over the bus: the batch's
/// buffers are the pinned staging a transport sends from, with no device buffer and no copy in between. Made on
/// a batch's first gather and kept until the batch or the backend is disposed (a batch is reused per request
/// stream, so registration is paid once).
/// </summary>
internal sealed unsafe class BatchMapping : HostRegistration, IGatherTarget
{
    private readonly WindowBatch _batch;
    private readonly GatherColumnTable _columnTable;

    /// <summary>Registers <paramref name="batch"/>'s buffers; call under <paramref name="gate"/>.</summary>
    public BatchMapping(IDeviceRuntime runtime, Lock gate, WindowBatch batch)
        : base(batch, runtime, gate)
    {
        _batch = batch;
        _columnTable = new GatherColumnTable(runtime);
        try
        {
            Span<ulong> outputs = stackalloc ulong[batch.Columns.Count];
            for (var c = 0; c < outputs.Length; c++)
                outputs[c] = Map(batch.ColumnPointer(c), batch.ColumnCapacity(c));
            Mask = Map(batch.MaskPointer, batch.MaskCapacity);
            _columnTable.Upload(outputs, batch.Columns);
        }
        catch
        {
            Release();
            throw;
        }
    }

    /// <inheritdoc/>
    public ulong ColumnOutputs => _columnTable.ColumnOutputs;

    /// <inheritdoc/>
    public ulong ColumnStepBytes => _columnTable.ColumnStepBytes;

    /// <inheritdoc/>
    public ulong Mask { get; }

    /// <inheritdoc/>
    protected override void FreeDeviceMemory() => _columnTable.Dispose();
}
