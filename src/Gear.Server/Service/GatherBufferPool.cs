using System.Collections.Concurrent;
using Gear.Core.Schema;

namespace Gear.Server.Service;

/// <summary>
/// Gather buffers (output batches) of one table, kept for reuse by geometry (batch size, window length): learners ask for the
/// same geometry over and over, and a batch owns native buffers that are costly to allocate per call.
/// </summary>
internal sealed class GatherBufferPool(IReadOnlyList<ColumnSpec> columns) : IDisposable
{
    /// <summary>Batches kept per geometry; more than this in use at once are allocated and freed.</summary>
    private const int KeptPerGeometry = 8;

    private readonly ConcurrentDictionary<(int BatchSize, int WindowLength), ConcurrentBag<GatherBuffer>> _free = new();
    private bool _disposed;

    /// <summary>A buffer for <paramref name="batchSize"/> windows of <paramref name="windowLength"/> steps.</summary>
    public GatherBuffer Rent(int batchSize, int windowLength) =>
        _free.TryGetValue((batchSize, windowLength), out var bag) && bag.TryTake(out var buffer)
            ? buffer
            : new GatherBuffer(columns, batchSize, windowLength);

    /// <summary>Gives a batch back for reuse (or frees it when enough of its geometry are kept).</summary>
    public void Return(GatherBuffer buffer)
    {
        var batch = buffer.Batch;
        var bag = _free.GetOrAdd((batch.BatchSize, batch.WindowLength), _ => new ConcurrentBag<GatherBuffer>());
        if (Volatile.Read(ref _disposed) || bag.Count >= KeptPerGeometry)
        {
            buffer.Dispose();
            return;
        }
        bag.Add(buffer);
    }

    /// <summary>Frees every kept batch (called once no call uses the table).</summary>
    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        foreach (var bag in _free.Values)
        {
            while (bag.TryTake(out var buffer))
                buffer.Dispose();
        }
    }
}
