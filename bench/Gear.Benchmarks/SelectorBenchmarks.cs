using BenchmarkDotNet.Attributes;
using Gear.Core.Compute.Cpu;
using Gear.Core.Selection;

namespace Gear.Benchmarks;

/// <summary>
/// Selector hot paths at 1,000,000 items, batches of 256: the prioritized selector (α = 0.6) selecting 256 and
/// then updating the priorities of those 256 (through UpdateBatch, and through 256 single Updates), importance
/// weights for the batch (β = 0.4), and a uniform selection for comparison. Items/s = 256 / (time per operation).
/// </summary>
[Config(typeof(BenchConfig))]
public class SelectorBenchmarks
{
    private const int Items = 1_000_000;
    private const int Batch = 256;

    private CpuSumTree _tree = null!;
    private PrioritizedSelector _prioritized = null!;
    private UniformSelector _uniform = null!;
    private readonly double[] _uniforms = new double[Batch];
    private readonly int[] _slots = new int[Batch];
    private readonly double[] _probabilities = new double[Batch];
    private readonly double[] _priorities = new double[Batch];
    private readonly double[] _weights = new double[Batch];
    private Random _random = null!;

    /// <summary>Fills both selectors with 1,000,000 items of random priority.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _random = new Random(12345);
        _tree = new CpuSumTree(Items);
        _prioritized = new PrioritizedSelector(_tree, 0.6);
        _uniform = new UniformSelector(Items);
        for (int i = 0; i < Items; i++)
        {
            double priority = (_random.NextDouble() * 10) + 1e-3;
            _prioritized.Insert(i, priority);
            _uniform.Insert(i, priority);
        }
    }

    /// <summary>Frees the tree.</summary>
    [GlobalCleanup]
    public void Cleanup() => _tree.Dispose();

    /// <summary>Prioritized select of 256, importance weights, UpdateBatch of the same 256.</summary>
    [Benchmark]
    public int PrioritizedSelect256WeightsUpdateBatch256()
    {
        FillUniforms();
        _prioritized.Select(_uniforms, _slots, _probabilities);
        ImportanceWeights.Compute(_probabilities, Items, 0.4, _weights);
        for (int i = 0; i < Batch; i++)
        {
            _priorities[i] = (_uniforms[i] * 10) + 1e-3;
        }

        _prioritized.UpdateBatch(_slots, _priorities);
        return _slots[Batch - 1];
    }

    /// <summary>Prioritized select of 256, then 256 single Updates (the IItemSelector-only path).</summary>
    [Benchmark]
    public int PrioritizedSelect256Update256()
    {
        FillUniforms();
        _prioritized.Select(_uniforms, _slots, _probabilities);
        for (int i = 0; i < Batch; i++)
        {
            _prioritized.Update(_slots[i], (_uniforms[i] * 10) + 1e-3);
        }

        return _slots[Batch - 1];
    }

    /// <summary>Uniform select of 256.</summary>
    [Benchmark]
    public int UniformSelect256()
    {
        FillUniforms();
        _uniform.Select(_uniforms, _slots, _probabilities);
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
