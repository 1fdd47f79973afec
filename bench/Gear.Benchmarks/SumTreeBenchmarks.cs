using BenchmarkDotNet.Attributes;
using Gear.Core.Compute.Cpu;

namespace Gear.Benchmarks;

/// <summary>
/// The prioritized hot path on a 1,000,000-leaf sum tree: a stratified sample of 256 leaves, then a priority
/// update of exactly those 256 (the standard workload: every sampled item gets a new priority after each batch).
/// Items/s = 256 / (time per operation).
/// </summary>
[Config(typeof(BenchConfig))]
public class SumTreeBenchmarks
{
    private const int Leaves = 1_000_000;
    private const int Batch = 256;

    private CpuSumTree _tree = null!;
    private readonly double[] _uniforms = new double[Batch];
    private readonly int[] _slots = new int[Batch];
    private readonly double[] _values = new double[Batch];
    private readonly double[] _newValues = new double[Batch];
    private Random _random = null!;

    /// <summary>Fills the tree with random priorities^0.6.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _random = new Random(12345);
        _tree = new CpuSumTree(Leaves);
        var all = new int[Leaves];
        var values = new double[Leaves];
        for (int i = 0; i < Leaves; i++)
        {
            all[i] = i;
            values[i] = Math.Pow(_random.NextDouble() * 10 + 1e-3, 0.6);
        }

        _tree.SetBatch(all, values);
    }

    /// <summary>Frees the tree.</summary>
    [GlobalCleanup]
    public void Cleanup() => _tree.Dispose();

    /// <summary>Stratified sample of 256.</summary>
    [Benchmark]
    public int Sample256()
    {
        FillUniforms();
        _tree.SampleStratified(_uniforms, _slots, _values);
        return _slots[Batch - 1];
    }

    /// <summary>Stratified sample of 256, then SetBatch of the same 256 slots with new values.</summary>
    [Benchmark(OperationsPerInvoke = 1)]
    public int Sample256ThenSetBatch256()
    {
        FillUniforms();
        _tree.SampleStratified(_uniforms, _slots, _values);
        for (int i = 0; i < Batch; i++)
        {
            _newValues[i] = _values[i] * 0.5 + _uniforms[i];
        }

        _tree.SetBatch(_slots, _newValues);
        return _slots[Batch - 1];
    }

    /// <summary>Stratified sample of 256, then 256 single Set calls (the path without a batch update).</summary>
    [Benchmark]
    public int Sample256ThenSet256()
    {
        FillUniforms();
        _tree.SampleStratified(_uniforms, _slots, _values);
        for (int i = 0; i < Batch; i++)
        {
            _tree.Set(_slots[i], _values[i] * 0.5 + _uniforms[i]);
        }

        return _slots[Batch - 1];
    }

    private void FillUniforms()
    {
        for (int i = 0; i < Batch; i++)
        {
            _uniforms[i] = _random.NextDouble();
        }
    }
}
