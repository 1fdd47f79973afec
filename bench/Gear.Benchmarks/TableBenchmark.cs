using BenchmarkDotNet.Attributes;
using Gear.Core.Compute.Cpu;
using Gear.Core.Sampling;
using Gear.Core.Tables;

namespace Gear.Benchmarks;

/// <summary>
/// Common frame of the workload benchmarks: a filled table, two memcpy references of the same bytes per
/// operation (always single-threaded), and a runner that splits a fixed number of operations per invocation
/// over 1 or 2 concurrent callers, so that time per operation shows the scaling directly.
/// </summary>
public abstract class TableBenchmark
{
    /// <summary>Operations per invocation, split evenly over the callers.</summary>
    public const int Operations = 8;

    private MemcpyReference? _memcpy;
    private MemcpyReference? _memcpyBeyondCache;
    private ConcurrentRunner? _runner;

    /// <summary>Concurrent callers.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>
    /// Threads the backend splits one large gather over (<see cref="CpuBackend.ParallelGatherThresholdBytes"/>);
    /// 1 unless a workload gathers enough per sample to repay the hand-off.
    /// </summary>
    protected virtual int GatherThreads => 1;

    internal CpuBackend Backend { get; private set; } = null!;

    internal Table Table { get; private set; } = null!;

    /// <summary>Builds the table and the reference.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Backend = new CpuBackend(GatherThreads);
        Table = CreateTable(Backend);
        _memcpy = new MemcpyReference(BytesPerOperation, intoArena: IsInsert, Table.GetInfo().BytesReserved);
        _memcpyBeyondCache = new MemcpyReference(BytesPerOperation, intoArena: IsInsert, 2 * LastLevelCache.Bytes);
        _runner = new ConcurrentRunner(Threads, thread =>
        {
            for (var i = 0; i < Operations / Threads; i++)
                Operation(thread);
        });
        PrepareThreads(Threads);
    }

    /// <summary>
    /// The baseline the targets are judged by: single-thread memcpy of the bytes one operation moves, within a
    /// buffer as large as the table's arena (so in cache exactly when the table is).
    /// </summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public void Memcpy()
    {
        for (var i = 0; i < Operations; i++)
            _memcpy!.CopyBlock();
    }

    /// <summary>
    /// The same copies within a buffer twice the last-level cache, so from memory whatever the table's size:
    /// the machine's memcpy bandwidth. Shown beside the baseline, since a target's "memcpy bandwidth" can be
    /// read either way, and for tables that fit in the cache (W2, W3) the two differ.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Operations)]
    public void MemcpyBeyondCache()
    {
        for (var i = 0; i < Operations; i++)
            _memcpyBeyondCache!.CopyBlock();
    }

    /// <summary>Runs the workload's operation, split over the callers.</summary>
    protected void RunOperations() => _runner!.Run();

    /// <summary>Bytes one operation gathers or inserts.</summary>
    protected abstract long BytesPerOperation { get; }

    /// <summary>Whether an operation writes into the table (insert) rather than reading from it (sample).</summary>
    protected abstract bool IsInsert { get; }

    internal abstract Table CreateTable(CpuBackend backend);

    /// <summary>Creates per-caller state (batches, random streams, trajectories).</summary>
    protected abstract void PrepareThreads(int threads);

    /// <summary>One operation on caller <paramref name="thread"/>.</summary>
    protected abstract void Operation(int thread);

    /// <summary>Frees everything.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _runner?.Dispose();
        _memcpy?.Dispose();
        _memcpyBeyondCache?.Dispose();
        Table.Dispose();
        Backend.Dispose();
    }

    /// <summary>One output batch and random stream per caller.</summary>
    internal static (WindowBatch[] Batches, RandomStream[] Randoms) SamplerState(Table table, int threads, int batchSize, int windowLength) =>
        (Enumerable.Range(0, threads).Select(_ => new WindowBatch(table.Spec.Columns, batchSize, windowLength)).ToArray(),
         Enumerable.Range(0, threads).Select(t => new RandomStream((ulong)t + 1)).ToArray());
}
