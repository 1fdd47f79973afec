using BenchmarkDotNet.Attributes;
using Gear.Core.Compute.Cpu;
using Gear.Core.Sampling;
using Gear.Core.Selection;
using Gear.Core.Tables;

namespace Gear.Benchmarks;

/// <summary>A table filled once, sampled with one fixed request per operation.</summary>
public abstract class SampleBenchmark : TableBenchmark
{
    private WindowBatch[] _batches = [];
    private RandomStream[] _randoms = [];

    internal abstract SampleRequest Request { get; }

    /// <inheritdoc/>
    protected override long BytesPerOperation =>
        (long)Request.BatchSize * Request.WindowLength * Table.Spec.Columns.Sum(c => c.StepBytes);

    /// <inheritdoc/>
    protected override bool IsInsert => false;

    /// <inheritdoc/>
    protected override void PrepareThreads(int threads) =>
        (_batches, _randoms) = SamplerState(Table, threads, Request.BatchSize, Request.WindowLength);

    /// <summary>One sample of the workload's request.</summary>
    [Benchmark(OperationsPerInvoke = Operations)]
    public void Sample() => RunOperations();

    /// <inheritdoc/>
    protected override void Operation(int thread) => SampleInto(thread);

    /// <summary>Samples into the caller's batch and returns it.</summary>
    internal WindowBatch SampleInto(int thread)
    {
        var batch = _batches[thread];
        Table.Sample(Request, _randoms[thread], batch, Timeout.InfiniteTimeSpan);
        return batch;
    }
}

/// <summary>
/// A workload whose samples are large enough for the backend's parallel gather: measured with each sample
/// gathered by its caller alone and split over two threads (the design's CPU backend gathers in parallel; the
/// memcpy reference stays single-threaded).
/// </summary>
public abstract class LargeSampleBenchmark : SampleBenchmark
{
    /// <summary>Threads one sample's gather is split over.</summary>
    [Params(1, 2)]
    public int GatherThreadsPerSample { get; set; }

    /// <inheritdoc/>
    protected override int GatherThreads => GatherThreadsPerSample;
}

/// <summary>W1: uniform sample of 256 Atari transitions (7.2 MB gathered per sample).</summary>
[Config(typeof(BenchConfig))]
public class W1AtariSample : LargeSampleBenchmark
{
    internal override SampleRequest Request => new(256, 1, WindowPlacement.StartAnchored);

    internal override Table CreateTable(CpuBackend backend) =>
        Workloads.CreateFilled(Workloads.Atari(SelectorKind.Uniform), backend, trajectoryLength: 1024, chunk: 64);
}

/// <summary>W2: uniform sample of 256 MuJoCo transitions.</summary>
[Config(typeof(BenchConfig))]
public class W2MujocoUniformSample : SampleBenchmark
{
    internal override SampleRequest Request => new(256, 1, WindowPlacement.StartAnchored);

    internal override Table CreateTable(CpuBackend backend) =>
        Workloads.CreateFilled(Workloads.Mujoco(SelectorKind.Uniform), backend, trajectoryLength: 1000, chunk: 1000);
}

/// <summary>W2: prioritized sample of 256 (α 0.6, β 0.4) followed by a priority update of every sampled item.</summary>
[Config(typeof(BenchConfig))]
public class W2MujocoPrioritizedSampleAndUpdate : SampleBenchmark
{
    private double[][] _priorities = [];
    private ulong[][] _keys = [];

    internal override SampleRequest Request => new(256, 1, WindowPlacement.StartAnchored, ImportanceExponent: 0.4);

    internal override Table CreateTable(CpuBackend backend) =>
        Workloads.CreateFilled(Workloads.Mujoco(SelectorKind.Prioritized), backend, trajectoryLength: 1000, chunk: 1000);

    /// <inheritdoc/>
    protected override void PrepareThreads(int threads)
    {
        base.PrepareThreads(threads);
        var random = new Random(3);
        _priorities = Enumerable.Range(0, threads).Select(_ => Enumerable.Range(0, 256).Select(_ => 0.1 + random.NextDouble()).ToArray()).ToArray();
        _keys = Enumerable.Range(0, threads).Select(_ => new ulong[256]).ToArray();
    }

    /// <inheritdoc/>
    protected override void Operation(int thread)
    {
        var batch = SampleInto(thread);
        batch.Keys.CopyTo(_keys[thread]);
        Table.UpdatePriorities(_keys[thread], _priorities[thread]);
    }
}

/// <summary>W3: 64 decision-transformer windows of 20 steps from 1,000-step trajectories.</summary>
[Config(typeof(BenchConfig))]
public class W3DecisionTransformerWindows : SampleBenchmark
{
    /// <summary>Uniform over valid starts, or anchored at the trajectory end.</summary>
    [Params(WindowPlacement.Uniform, WindowPlacement.EndAnchored)]
    public WindowPlacement Placement { get; set; }

    internal override SampleRequest Request => new(64, 20, Placement);

    internal override Table CreateTable(CpuBackend backend) =>
        Workloads.CreateFilled(Workloads.DecisionTransformer(), backend, trajectoryLength: 1000, chunk: 1000);
}

/// <summary>W4: 32 windows of 512 steps of f32[256] (16 MiB gathered per sample).</summary>
[Config(typeof(BenchConfig))]
public class W4LongWindows : LargeSampleBenchmark
{
    internal override SampleRequest Request => new(32, 512, WindowPlacement.Uniform);

    internal override Table CreateTable(CpuBackend backend) =>
        Workloads.CreateFilled(Workloads.LongWindows(), backend, trajectoryLength: 2048, chunk: 512);
}
