using BenchmarkDotNet.Attributes;
using Gear.Core.Compute.Cpu;
using Gear.Core.Selection;
using Gear.Core.Tables;

namespace Gear.Benchmarks;

/// <summary>
/// Inserts into a table that is already full (so every insert also evicts, and the arena has been touched
/// once): each operation appends one batch of steps to the caller's open trajectory, which is closed and
/// replaced every <see cref="BatchesPerTrajectory"/> batches.
/// </summary>
public abstract class InsertBenchmark : TableBenchmark
{
    private ReadOnlyMemory<byte>[][] _steps = [];
    private ulong[] _open = [];
    private int[] _batchesInOpen = [];

    internal abstract int StepsPerBatch { get; }

    internal abstract int BatchesPerTrajectory { get; }

    /// <inheritdoc/>
    protected override long BytesPerOperation => (long)StepsPerBatch * Table.Spec.Columns.Sum(c => c.StepBytes);

    /// <inheritdoc/>
    protected override bool IsInsert => true;

    /// <inheritdoc/>
    protected override void PrepareThreads(int threads)
    {
        _steps = Enumerable.Range(0, threads).Select(t => Workloads.RandomSteps(Table.Spec.Columns, StepsPerBatch, seed: 10 + t)).ToArray();
        _open = Enumerable.Range(0, threads).Select(_ => Table.OpenTrajectory()).ToArray();
        _batchesInOpen = new int[threads];
    }

    /// <summary>One insert batch.</summary>
    [Benchmark(OperationsPerInvoke = Operations)]
    public void Insert() => RunOperations();

    /// <inheritdoc/>
    protected override void Operation(int thread)
    {
        Table.Append(_open[thread], StepsPerBatch, _steps[thread]);
        if (++_batchesInOpen[thread] == BatchesPerTrajectory)
        {
            Table.Close(_open[thread], 1.0);
            _open[thread] = Table.OpenTrajectory();
            _batchesInOpen[thread] = 0;
        }
    }
}

/// <summary>W1: inserts of 64 Atari steps (1.8 MB) into 1,024-step trajectories.</summary>
[Config(typeof(BenchConfig))]
public class W1AtariInsert : InsertBenchmark
{
    internal override int StepsPerBatch => 64;

    internal override int BatchesPerTrajectory => 16;

    internal override Table CreateTable(CpuBackend backend) =>
        Workloads.CreateFilled(Workloads.Atari(SelectorKind.Uniform), backend, trajectoryLength: 1024, chunk: 64);
}

/// <summary>W2: inserts of 1,000 MuJoCo steps, one trajectory each.</summary>
[Config(typeof(BenchConfig))]
public class W2MujocoInsert : InsertBenchmark
{
    internal override int StepsPerBatch => 1000;

    internal override int BatchesPerTrajectory => 1;

    internal override Table CreateTable(CpuBackend backend) =>
        Workloads.CreateFilled(Workloads.Mujoco(SelectorKind.Uniform), backend, trajectoryLength: 1000, chunk: 1000);
}
