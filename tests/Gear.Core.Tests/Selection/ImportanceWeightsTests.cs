using Gear.Core.Errors;
using Gear.Core.Selection;

namespace Gear.Core.Tests.Selection;

[TestClass]
public sealed class ImportanceWeightsTests
{
    [TestMethod]
    public void WeightsFollowTheFormulaNormalisedByTheBatchMaximum()
    {
        double[] probabilities = [0.1, 0.02, 0.3, 0.02, 0.005, 0.25];
        const int n = 40;
        foreach (double beta in new[] { 0.4, 0.7, 1.0 })
        {
            var weights = new double[probabilities.Length];
            ImportanceWeights.Compute(probabilities, n, beta, weights);
            double max = probabilities.Max(p => Math.Pow(n * p, -beta));
            for (int i = 0; i < probabilities.Length; i++)
            {
                Assert.AreEqual(Math.Pow(n * probabilities[i], -beta) / max, weights[i], 1e-12, $"beta {beta}, i {i}");
            }

            Assert.AreEqual(1.0, weights.Max());
            Assert.AreEqual(1.0, weights[4], "The least likely item gets weight 1.");
        }
    }

    [TestMethod]
    public void BetaZeroGivesOnes()
    {
        var weights = new double[3];
        ImportanceWeights.Compute([0.5, 0.01, 0.2], 10, 0, weights);
        CollectionAssert.AreEqual(new[] { 1.0, 1.0, 1.0 }, weights);
    }

    [TestMethod]
    public void TinyProbabilitiesDoNotOverflow()
    {
        var weights = new double[2];
        ImportanceWeights.Compute([1e-300, 1e-200], 1000, 1.0, weights);
        Assert.AreEqual(1.0, weights[0]);
        Assert.AreEqual(1e-100, weights[1], 1e-110);
    }

    [TestMethod]
    public void BadArgumentsAreRefused()
    {
        var weights = new double[2];
        Assert.ThrowsException<GearException>(() => ImportanceWeights.Compute([0.5, 0], 2, 0.4, weights));
        Assert.ThrowsException<GearException>(() => ImportanceWeights.Compute([0.5, 1.5], 2, 0.4, weights));
        Assert.ThrowsException<GearException>(() => ImportanceWeights.Compute([0.5], 0, 0.4, weights));
        Assert.ThrowsException<GearException>(() => ImportanceWeights.Compute([0.5], 2, -1, weights));
        Assert.ThrowsException<GearException>(() => ImportanceWeights.Compute([0.5, 0.5, 0.5], 2, 0.4, weights));
    }

    [TestMethod]
    public void ABadProbabilityAnywhereInALongBatchIsNamedAndTheSmallestAnywhereIsTheNormaliser()
    {
        const int length = 23; // whole vectors and a tail
        foreach (var bad in new[] { double.NaN, 0.0, -0.25, 1.0000001, double.PositiveInfinity })
        {
            for (int at = 0; at < length; at++)
            {
                var probabilities = Enumerable.Repeat(0.5, length).ToArray();
                probabilities[at] = bad;
                var error = Assert.ThrowsException<GearException>(
                    () => ImportanceWeights.Compute(probabilities, 100, 0.0, new double[length]), $"{bad} at {at}");
                StringAssert.Contains(error.Message, $"Selection probability {at} ", $"{bad} at {at}");
            }
        }

        for (int at = 0; at < length; at++)
        {
            var probabilities = Enumerable.Repeat(0.5, length).ToArray();
            probabilities[at] = 0.125;
            var weights = new double[length];
            ImportanceWeights.Compute(probabilities, 100, 1.0, weights);
            Assert.AreEqual(1.0, weights[at], $"smallest at {at} gets weight 1");
            Assert.AreEqual(0.25, weights[(at + 1) % length], 1e-15, $"smallest at {at} normalises the others");
        }
    }
}
