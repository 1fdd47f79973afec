using Gear.Core.Sampling;
using Gear.Core.Schema;

namespace Gear.Server.Service;

/// <summary>
/// A window batch plus views of its native column and mask buffers as <see cref="Memory{T}"/>, made once, so a
/// writer can hand the gathered bytes on without copying them (the data plane's fallback after a stall, the
/// unary reply's copy, a held batch's mask); the caller returns the buffer to its pool only after they are written.
/// </summary>
internal sealed unsafe class GatherBuffer : IDisposable
{
    private readonly NativeMemoryManager[] _columns;
    private readonly NativeMemoryManager _mask;

    public GatherBuffer(IReadOnlyList<ColumnSpec> columns, int batchSize, int windowLength)
    {
        Batch = new WindowBatch(columns, batchSize, windowLength);
        // The views span the full capacity; each reply slices them to the windows actually gathered.
        _columns = new NativeMemoryManager[columns.Count];
        var steps = batchSize * windowLength;
        for (var c = 0; c < columns.Count; c++)
            _columns[c] = new NativeMemoryManager(Batch.ColumnPointer(c), steps * columns[c].StepBytes);
        _mask = new NativeMemoryManager((byte*)Batch.MaskPointer, steps);
    }

    /// <summary>The batch the gather fills.</summary>
    public WindowBatch Batch { get; }

    /// <summary>The gathered bytes of column <paramref name="column"/> (windows gathered so far).</summary>
    public ReadOnlyMemory<byte> Column(int column) => _columns[column].Memory[..(Batch.Count * Batch.WindowBytes(column))];

    /// <summary>The gathered mask bytes.</summary>
    public ReadOnlyMemory<byte> Mask => _mask.Memory[..(Batch.Count * Batch.WindowLength)];

    public void Dispose() => Batch.Dispose();
}
