using Gear.Core.Sampling;
using Gear.Core.Storage;

namespace Gear.Core.Compute.Cpu;

/// <summary>
/// The reference backend: sum trees in host memory, gathers with block copies on the calling thread, or split
/// over dedicated worker threads when a batch is large enough to repay the hand-off.
/// </summary>
public sealed class CpuBackend : IComputeBackend
{
    /// <summary>Batches smaller than this many bytes are gathered on the calling thread alone.</summary>
    public const long ParallelGatherThresholdBytes = 1 << 20;

    private readonly GatherWorkers? _workers;

    /// <summary>Creates a backend whose gathers use up to <paramref name="gatherThreads"/> threads (caller included).</summary>
    public CpuBackend(int gatherThreads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(gatherThreads, 1);
        GatherThreads = gatherThreads;
        if (gatherThreads > 1)
            _workers = new GatherWorkers(gatherThreads - 1);
    }

    /// <summary>Threads a large gather is split over.</summary>
    public int GatherThreads { get; }

    /// <inheritdoc/>
    public string Name => "cpu";

    /// <inheritdoc/>
    public IPrioritySumTree CreateSumTree(int capacity) => new CpuSumTree(capacity);

    /// <inheritdoc/>
    public void Gather(PagedStorage storage, WindowBatch output)
    {
        ((IComputeBackend)this).CheckOutput(output);
        if (_workers is not null && output.Count > 1 && BatchBytes(storage, output) >= ParallelGatherThresholdBytes
            && _workers.TryGather(storage, output))
            return;
        CpuWindowGather.GatherRange(storage, output, 0, output.Count);
    }

    private static long BatchBytes(PagedStorage storage, WindowBatch output)
    {
        long bytes = 0;
        for (var column = 0; column < storage.ColumnCount; column++)
            bytes += output.WindowBytes(column);
        return bytes * output.Count;
    }

    /// <inheritdoc/>
    public void Dispose() => _workers?.Dispose();
}
