using Gear.Core.Compute;
using Gear.Core.Compute.Cuda;
using Gear.Core.Errors;

namespace Gear.Core.Tests.Compute.Cuda;

/// <summary>
/// The selection kernels (kernels/selection.cu) through the real DeviceSelection over the host emulation, against
/// the CPU's selectors; and proof that the comparison catches planted bugs of the kinds these kernels could have.
/// </summary>
[TestClass]
public sealed class EmulatedSelectionTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public void SelectionKernelsEqualTheCpuSelectors(int seed)
    {
        var runtime = new EmulatedRuntime();
        using var backend = new DeviceBackend(runtime);
        foreach (var result in SelectionComparison.Run(backend.Selection, seed))
        {
            Assert.IsTrue(result.Passed, $"{result.Name}: {result.Detail}");
            Console.WriteLine($"{result.Name}: {result.Detail}");
        }
        Assert.IsTrue(runtime.Launches > 0, "no kernel ran");
    }

    [TestMethod]
    public void TiesResolvedInReverseUpdateOrderAreCaught()
    {
        using var backend = new DeviceBackend(new EmulatedRuntime());
        var result = SelectionComparison.CompareTopK(new ReversedTies(backend.Selection), seed: 1);
        Assert.IsFalse(result.Passed, "a top-k with reversed ties passed the comparison");
    }

    [TestMethod]
    public void ARankOffByOneInUniformPicksIsCaught()
    {
        using var backend = new DeviceBackend(new EmulatedRuntime());
        var result = SelectionComparison.CompareUniformPicks(new RotatedRanks(backend.Selection), seed: 1);
        Assert.IsFalse(result.Passed, "uniform picks with ranks off by one passed the comparison");
    }

    [TestMethod]
    public void AWeightOffByAMillionthOfAPercentIsCaught()
    {
        using var backend = new DeviceBackend(new EmulatedRuntime());
        var result = SelectionComparison.CompareWeights(new NudgedWeight(backend.Selection), seed: 1);
        Assert.IsFalse(result.Passed, "a weight off by 1e-8 relative passed the comparison");
    }

    [TestMethod]
    public void TheDeviceRefusesWhatTheCpuRefuses()
    {
        using var backend = new DeviceBackend(new EmulatedRuntime());
        var weights = new double[2];
        Assert.ThrowsException<GearException>(() => backend.Selection.ImportanceWeights([0.5, 0.0], 2, 0.4, weights));
        Assert.ThrowsException<GearException>(() => backend.Selection.ImportanceWeights([0.5, 0.5], 2, double.NaN, weights));
        // An empty selector is a bookkeeping mistake, refused as the CPU selectors refuse it.
        Assert.ThrowsException<InvalidOperationException>(() => backend.Selection.TopK([1.0, 2.0], [-1, -1], new int[1]));
        Assert.ThrowsException<InvalidOperationException>(() => backend.Selection.UniformPicks([0.5], [0UL], [], 10, new int[1]));
    }

    /// <summary>Passes every call to the real kernels; a planted bug overrides one.</summary>
    private abstract class PassThrough(ISelectionKernels inner) : ISelectionKernels
    {
        public virtual void ImportanceWeights(ReadOnlySpan<double> probabilities, int itemCount, double beta, Span<double> weights) =>
            inner.ImportanceWeights(probabilities, itemCount, beta, weights);

        public virtual void UniformPicks(ReadOnlySpan<double> uniforms, ReadOnlySpan<ulong> held, ReadOnlySpan<int> ranked, int capacity, Span<int> slots) =>
            inner.UniformPicks(uniforms, held, ranked, capacity, slots);

        public virtual void TopK(ReadOnlySpan<double> priorities, ReadOnlySpan<long> stamps, Span<int> slots) => inner.TopK(priorities, stamps, slots);
    }

    /// <summary>Every held stamp mirrored, so equal priorities come out most recently updated first.</summary>
    private sealed class ReversedTies(ISelectionKernels inner) : PassThrough(inner)
    {
        public override void TopK(ReadOnlySpan<double> priorities, ReadOnlySpan<long> stamps, Span<int> slots)
        {
            var mirrored = new long[stamps.Length];
            for (var i = 0; i < stamps.Length; i++)
                mirrored[i] = stamps[i] < 0 ? -1 : int.MaxValue - stamps[i];
            base.TopK(priorities, mirrored, slots);
        }
    }

    /// <summary>The ranked list rotated by one, as an off-by-one rank would read it.</summary>
    private sealed class RotatedRanks(ISelectionKernels inner) : PassThrough(inner)
    {
        public override void UniformPicks(ReadOnlySpan<double> uniforms, ReadOnlySpan<ulong> held, ReadOnlySpan<int> ranked, int capacity, Span<int> slots) =>
            base.UniformPicks(uniforms, held, [.. ranked[1..], ranked[0]], capacity, slots);
    }

    /// <summary>The last weight scaled by 1 + 1e-8: far inside any training tolerance, outside the comparison's.</summary>
    private sealed class NudgedWeight(ISelectionKernels inner) : PassThrough(inner)
    {
        public override void ImportanceWeights(ReadOnlySpan<double> probabilities, int itemCount, double beta, Span<double> weights)
        {
            base.ImportanceWeights(probabilities, itemCount, beta, weights);
            weights[probabilities.Length - 1] *= 1 + 1e-8;
        }
    }
}
