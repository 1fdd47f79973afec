using Gear.Core.Schema;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// The gather kernel's column table in device memory: per column the output address (u64), then the step sizes
/// (int; u64s first so that both stay aligned). Fixed for a batch's life, so uploaded once, when its target is made.
/// </summary>
internal sealed unsafe class GatherColumnTable(IDeviceRuntime runtime) : IDisposable
{
    private readonly DeviceBuffer _table = new(runtime);

    /// <summary>Device address of the output addresses.</summary>
    public ulong ColumnOutputs { get; private set; }

    /// <summary>Device address of the step sizes.</summary>
    public ulong ColumnStepBytes { get; private set; }

    /// <summary>Uploads <paramref name="outputs"/> (device-visible, one per column) and the columns' step sizes.</summary>
    public void Upload(ReadOnlySpan<ulong> outputs, IReadOnlyList<ColumnSpec> columns)
    {
        var count = columns.Count;
        var bytes = count * (sizeof(ulong) + sizeof(int));
        var table = stackalloc byte[bytes];
        outputs.CopyTo(new Span<ulong>(table, count));
        var stepBytes = (int*)(table + count * sizeof(ulong));
        for (var c = 0; c < count; c++)
            stepBytes[c] = columns[c].StepBytes;
        ColumnOutputs = _table.Ensure(bytes);
        ColumnStepBytes = ColumnOutputs + (ulong)(count * sizeof(ulong));
        runtime.CopyToDevice(ColumnOutputs, table, bytes);
        runtime.Synchronize();
    }

    /// <inheritdoc/>
    public void Dispose() => _table.Dispose();
}
