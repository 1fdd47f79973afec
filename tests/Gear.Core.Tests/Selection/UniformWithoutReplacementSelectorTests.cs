using Gear.Core.Selection;

namespace Gear.Core.Tests.Selection;

[TestClass]
public sealed class UniformWithoutReplacementSelectorTests
{
    [TestMethod]
    public void EveryItemExactlyOncePerEpoch()
    {
        var selector = new UniformWithoutReplacementSelector(64);
        for (int slot = 0; slot < 50; slot++)
        {
            selector.Insert(slot, 1);
        }

        var random = new TestRandom(9);
        var uniform = new double[1];
        var slots = new int[1];
        var probabilities = new double[1];
        for (int epoch = 0; epoch < 20; epoch++)
        {
            var seen = new HashSet<int>();
            for (int i = 0; i < 50; i++)
            {
                uniform[0] = random.NextDouble();
                selector.Select(uniform, slots, probabilities);
                Assert.IsTrue(seen.Add(slots[0]), $"Slot {slots[0]} repeated within epoch {epoch}.");
                Assert.AreEqual(1.0 / (50 - i), probabilities[0], 1e-15);
            }

            Assert.AreEqual(50, seen.Count);
        }
    }

    [TestMethod]
    public void ABatchLargerThanCountRepeatsOnlyAcrossTheEpochBoundary()
    {
        var selector = new UniformWithoutReplacementSelector(8);
        for (int slot = 0; slot < 5; slot++)
        {
            selector.Insert(slot, 1);
        }

        var uniforms = new double[12];
        new TestRandom(4).Fill(uniforms);
        var slots = new int[12];
        var probabilities = new double[12];
        selector.Select(uniforms, slots, probabilities);
        CollectionAssert.AreEquivalent(new[] { 0, 1, 2, 3, 4 }, slots[..5]);
        CollectionAssert.AreEquivalent(new[] { 0, 1, 2, 3, 4 }, slots[5..10]);
        CollectionAssert.AllItemsAreUnique(slots[10..]);
        CollectionAssert.AreEqual(new[] { 1 / 5.0, 1 / 4.0, 1 / 3.0, 1 / 2.0, 1.0, 1 / 5.0 }, probabilities[..6]);
        Assert.AreEqual(3, selector.RemainingInEpoch);
    }

    [TestMethod]
    public void InsertsMidEpochJoinTheCurrentEpoch()
    {
        var selector = new UniformWithoutReplacementSelector(16);
        for (int slot = 0; slot < 6; slot++)
        {
            selector.Insert(slot, 1);
        }

        var chosen = new List<int>();
        chosen.AddRange(Take(selector, 3, seed: 1));
        selector.Insert(10, 1);
        selector.Insert(11, 1);
        Assert.AreEqual(5, selector.RemainingInEpoch);
        chosen.AddRange(Take(selector, 5, seed: 2));
        CollectionAssert.AreEquivalent(new[] { 0, 1, 2, 3, 4, 5, 10, 11 }, chosen);
        Assert.AreEqual(0, selector.RemainingInEpoch);

        // An insert after the epoch ran out is the only unchosen item: it comes next, then a new epoch.
        selector.Insert(12, 1);
        CollectionAssert.AreEqual(new[] { 12 }, Take(selector, 1, seed: 3));
        CollectionAssert.AreEquivalent(new[] { 0, 1, 2, 3, 4, 5, 10, 11, 12 }, Take(selector, 9, seed: 4));
    }

    [TestMethod]
    public void RemovalsMidEpochLeaveTheRestIntact()
    {
        var selector = new UniformWithoutReplacementSelector(16);
        for (int slot = 0; slot < 10; slot++)
        {
            selector.Insert(slot, 1);
        }

        int[] first = Take(selector, 4, seed: 5);
        int unchosenVictim = Enumerable.Range(0, 10).First(s => !first.Contains(s));
        selector.Remove(unchosenVictim); // Leaves the unchosen part.
        selector.Remove(first[1]); // Leaves the chosen part.
        selector.Update(first[0], 3); // Changes nothing.
        Assert.AreEqual(8, selector.Count);
        Assert.AreEqual(5, selector.RemainingInEpoch);

        int[] rest = Take(selector, 5, seed: 6);
        var expectedRest = Enumerable.Range(0, 10).Except(first).Except([unchosenVictim]).ToArray();
        CollectionAssert.AreEquivalent(expectedRest, rest);

        // Next epoch: exactly the 8 held items.
        var held = Enumerable.Range(0, 10).Except([unchosenVictim, first[1]]).ToArray();
        CollectionAssert.AreEquivalent(held, Take(selector, 8, seed: 7));
    }

    [TestMethod]
    public void RandomOperationsKeepTheEpochInvariant()
    {
        var random = new TestRandom(77);
        var selector = new UniformWithoutReplacementSelector(40);
        var held = new HashSet<int>();
        var chosenThisEpoch = new HashSet<int>();
        var uniform = new double[1];
        var slots = new int[1];
        var probabilities = new double[1];
        for (int step = 0; step < 20_000; step++)
        {
            int op = random.NextInt(4);
            int slot = random.NextInt(40);
            if (op == 0 && !held.Contains(slot))
            {
                selector.Insert(slot, 1);
                held.Add(slot);
            }
            else if (op == 1 && held.Contains(slot))
            {
                selector.Remove(slot);
                held.Remove(slot);
                chosenThisEpoch.Remove(slot);
            }
            else if (held.Count > 0)
            {
                if (chosenThisEpoch.Count == held.Count)
                {
                    chosenThisEpoch.Clear();
                }

                uniform[0] = random.NextDouble();
                selector.Select(uniform, slots, probabilities);
                Assert.IsTrue(held.Contains(slots[0]));
                Assert.IsTrue(chosenThisEpoch.Add(slots[0]), $"step {step}: slot {slots[0]} chosen twice in an epoch.");
                Assert.AreEqual(1.0 / (held.Count - chosenThisEpoch.Count + 1), probabilities[0], 1e-15);
            }

            Assert.AreEqual(held.Count, selector.Count);
            Assert.AreEqual(held.Count - chosenThisEpoch.Count, selector.RemainingInEpoch);
        }
    }

    [TestMethod]
    public void ChoicesWithinAnEpochAreUniform()
    {
        // The first choice of each epoch must be uniform over the held items.
        var selector = new UniformWithoutReplacementSelector(8);
        for (int slot = 0; slot < 8; slot++)
        {
            selector.Insert(slot, 1);
        }

        var counts = new long[8];
        var random = new TestRandom(31);
        var uniforms = new double[8];
        var slots = new int[8];
        var probabilities = new double[8];
        const int epochs = 40_000;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            random.Fill(uniforms);
            selector.Select(uniforms, slots, probabilities);
            counts[slots[0]]++;
        }

        double[] expected = Enumerable.Repeat(1.0 / 8, 8).ToArray();
        double statistic = ChiSquare.Statistic(counts, expected, epochs);
        Assert.IsTrue(statistic < ChiSquare.CriticalValue(7, ChiSquare.Alpha), $"chi-square {statistic}");
    }

    private static int[] Take(IItemSelector selector, int n, ulong seed)
    {
        var uniforms = new double[n];
        new TestRandom(seed).Fill(uniforms);
        var slots = new int[n];
        selector.Select(uniforms, slots, new double[n]);
        return slots;
    }

    [TestMethod]
    public void RemovingAnUnchosenItemBeforeAnyChoiceKeepsTheOthersConsistent()
    {
        // Regression: with nothing chosen yet, removing the first of three items once left the item moved into
        // its place recorded at a stale position, so a later insert of the removed slot was refused.
        var selector = new UniformWithoutReplacementSelector(8);
        selector.Insert(1, 1);
        selector.Insert(2, 1);
        selector.Insert(3, 1);
        selector.Remove(1);
        selector.Insert(1, 1);
        selector.Remove(3);
        var slots = new int[3];
        var probabilities = new double[3];
        selector.Select([0.1, 0.1, 0.1], slots, probabilities);
        CollectionAssert.AreEquivalent(new[] { 1, 2, slots[2] }, slots);
        Assert.IsTrue(slots[..2].Distinct().Count() == 2 && slots.All(s => s is 1 or 2));
    }
}
