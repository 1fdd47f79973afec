using System.Collections.Concurrent;
using Gear.Core.Sampling;
using Gear.Core.Schema;

namespace Gear.Server.Service;

/// <summary>
/// Output batches of one table, kept for reuse by geometry (batch size, window length): learners ask for the
/// same geometry over and over, and a batch owns native buffers that are costly to allocate per call.
/// </summary>
internal sealed class WindowBatchPool(IReadOnlyList<ColumnSpec> columns) : IDisposable
{
    /// <summary>Batches kept per geometry; more than this in use at once are allocated and freed.</summary>
    private const int KeptPerGeometry = 8;

    private readonly ConcurrentDictionary<(int BatchSize, int WindowLength), ConcurrentBag<WindowBatch>> _free = new();
    private bool _disposed;

    /// <summary>A batch for <paramref name="batchSize"/> windows of <paramref name="windowLength"/> steps.</summary>
    public WindowBatch Rent(int batchSize, int windowLength) =>
        _free.TryGetValue((batchSize, windowLength), out var bag) && bag.TryTake(out var batch)
            ? batch
            : new WindowBatch(columns, batchSize, windowLength);

    /// <summary>Gives a batch back for reuse (or frees it when enough of its geometry are kept).</summary>
    public void Return(WindowBatch batch)
    {
        var bag = _free.GetOrAdd((batch.BatchSize, batch.WindowLength), _ => new ConcurrentBag<WindowBatch>());
        if (Volatile.Read(ref _disposed) || bag.Count >= KeptPerGeometry)
        {
            batch.Dispose();
            return;
        }
        bag.Add(batch);
    }

    /// <summary>Frees every kept batch (called once no call uses the table).</summary>
    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        foreach (var bag in _free.Values)
        {
            while (bag.TryTake(out var batch))
                batch.Dispose();
        }
    }
}
