using Gear.Core.Compute.Cpu;
using Gear.Core.Selection;

namespace Gear.Core.Tests.Selection;

/// <summary>Uniform and prioritized selection against their exact laws, at fixed seeds.</summary>
[TestClass]
public sealed class DistributionTests
{
    private const int Draws = 200_000;

    // Hand-chosen priorities: a zero, a spread of magnitudes, and a repeat.
    private static readonly double[] Priorities = [0.5, 1, 2, 0, 3, 5, 8, 13, 1, 0.1];

    [TestMethod]
    public void ChiSquareHelperMatchesPublishedQuantiles()
    {
        // Sanity of the helper itself against table values of the 0.999 chi-square quantile.
        Assert.AreEqual(3.0902, ChiSquare.NormalUpperQuantile(0.001), 1e-3);
        Assert.AreEqual(27.877, ChiSquare.CriticalValue(9, 0.001), 0.3);
        Assert.AreEqual(45.315, ChiSquare.CriticalValue(20, 0.001), 0.3);
    }

    [TestMethod]
    public void UniformMatchesTheUniformLaw()
    {
        var selector = new UniformSelector(32);
        for (int slot = 0; slot < 20; slot++)
        {
            selector.Insert(slot, 1);
        }

        // Removals leave holes among the slots; the law must stay uniform over what is held.
        selector.Remove(3);
        selector.Remove(0);
        selector.Remove(19);
        selector.Insert(25, 1);
        int[] held = [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 25];
        Assert.AreEqual(held.Length, selector.Count);

        var expected = new double[32];
        foreach (int slot in held)
        {
            expected[slot] = 1.0 / held.Length;
        }

        long[] counts = DrawSingles(selector, 32, seed: 2024, (slot, probability) => Assert.AreEqual(1.0 / held.Length, probability));

        AssertFits(counts, expected, Draws, held.Length - 1);
    }

    [DataTestMethod]
    [DataRow(0.6)]
    [DataRow(1.0)]
    public void PrioritizedMatchesPriorityToTheAlpha(double alpha)
    {
        double[] expected = ExactLaw(alpha);
        using var tree = new CpuSumTree(Priorities.Length);
        var selector = new PrioritizedSelector(tree, alpha);
        for (int slot = 0; slot < Priorities.Length; slot++)
        {
            selector.Insert(slot, Priorities[slot]);
        }

        long[] counts = DrawSingles(selector, Priorities.Length, seed: 7, (slot, probability) => Assert.AreEqual(expected[slot], probability, 1e-12));

        Assert.AreEqual(0L, counts[3], "A zero priority must never be chosen.");
        AssertFits(counts, expected, Draws, expected.Count(p => p > 0) - 1);

        // Guard against a test that cannot fail: the law of the other exponent must be rejected.
        double[] wrong = ExactLaw(alpha == 1.0 ? 0.6 : 1.0);
        double statistic = ChiSquare.Statistic(counts, wrong, Draws);
        Assert.IsTrue(statistic > ChiSquare.CriticalValue(wrong.Count(p => p > 0) - 1, ChiSquare.Alpha),
            $"The test cannot tell α = 0.6 from α = 1 (statistic {statistic}).");
    }

    [TestMethod]
    public void StratifiedBatchesMatchTheLawToo()
    {
        double[] expected = ExactLaw(0.6);
        using var tree = new CpuSumTree(Priorities.Length);
        var selector = new PrioritizedSelector(tree, 0.6);
        for (int slot = 0; slot < Priorities.Length; slot++)
        {
            selector.Insert(slot, Priorities[slot]);
        }

        const int batch = 16;
        var counts = new long[Priorities.Length];
        var random = new TestRandom(11);
        var uniforms = new double[batch];
        var slots = new int[batch];
        var probabilities = new double[batch];
        for (int round = 0; round < Draws / batch; round++)
        {
            random.Fill(uniforms);
            selector.Select(uniforms, slots, probabilities);
            for (int i = 0; i < batch; i++)
            {
                counts[slots[i]]++;
                Assert.AreEqual(expected[slots[i]], probabilities[i], 1e-12);
            }
        }

        // Stratification lowers the variance, so the multinomial critical value is conservative here.
        AssertFits(counts, expected, Draws / batch * batch, expected.Count(p => p > 0) - 1);
    }

    [TestMethod]
    public void AlphaZeroIsUniformOverNonZeroPriorities()
    {
        using var tree = new CpuSumTree(Priorities.Length);
        var selector = new PrioritizedSelector(tree, 0.0);
        for (int slot = 0; slot < Priorities.Length; slot++)
        {
            selector.Insert(slot, Priorities[slot]);
        }

        double[] expected = Priorities.Select(p => p > 0 ? 1.0 / (Priorities.Length - 1) : 0).ToArray();
        var counts = new long[Priorities.Length];
        var random = new TestRandom(13);
        var slots = new int[1];
        var probabilities = new double[1];
        for (int draw = 0; draw < Draws; draw++)
        {
            selector.Select([random.NextDouble()], slots, probabilities);
            counts[slots[0]]++;
            Assert.AreEqual(expected[slots[0]], probabilities[0], 1e-15);
        }

        Assert.AreEqual(0L, counts[3], "0^0 must count as zero, as in Reverb.");
        AssertFits(counts, expected, Draws, Priorities.Length - 2);
    }

    private static double[] ExactLaw(double alpha)
    {
        double[] weights = Priorities.Select(p => p == 0 ? 0 : Math.Pow(p, alpha)).ToArray();
        double total = weights.Sum();
        return weights.Select(w => w / total).ToArray();
    }

    private static void AssertFits(long[] counts, double[] expected, long draws, int degreesOfFreedom)
    {
        for (int i = 0; i < counts.Length; i++)
        {
            if (expected[i] == 0)
            {
                Assert.AreEqual(0L, counts[i], $"Slot {i} has probability zero but was chosen.");
            }
        }

        double statistic = ChiSquare.Statistic(counts, expected, draws);
        double critical = ChiSquare.CriticalValue(degreesOfFreedom, ChiSquare.Alpha);
        Assert.IsTrue(statistic < critical,
            $"Chi-square {statistic:F2} exceeds the {ChiSquare.Alpha} critical value {critical:F2} ({degreesOfFreedom} degrees of freedom).");
    }

    /// <summary>Draws <see cref="Draws"/> single choices, checking each reported probability, and counts them per slot.</summary>
    private static long[] DrawSingles(IItemSelector selector, int capacity, ulong seed, Action<int, double> checkProbability)
    {
        var counts = new long[capacity];
        var random = new TestRandom(seed);
        var uniforms = new double[1];
        var slots = new int[1];
        var probabilities = new double[1];
        for (int draw = 0; draw < Draws; draw++)
        {
            uniforms[0] = random.NextDouble();
            selector.Select(uniforms, slots, probabilities);
            counts[slots[0]]++;
            checkProbability(slots[0], probabilities[0]);
        }

        return counts;
    }
}
