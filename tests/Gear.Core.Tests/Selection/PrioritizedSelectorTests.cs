using Gear.Core.Compute.Cpu;
using Gear.Core.Errors;
using Gear.Core.Selection;

namespace Gear.Core.Tests.Selection;

[TestClass]
public sealed class PrioritizedSelectorTests
{
    [TestMethod]
    public void ReportedProbabilitiesAreWeightOverTotal()
    {
        using var tree = new CpuSumTree(8);
        var selector = new PrioritizedSelector(tree, 0.6);
        double[] priorities = [4, 9, 0.25, 7];
        for (int i = 0; i < priorities.Length; i++)
        {
            selector.Insert(i * 2, priorities[i]);
        }

        double total = priorities.Sum(p => Math.Pow(p, 0.6));
        var slots = new int[64];
        var probabilities = new double[64];
        var uniforms = new double[64];
        new TestRandom(1).Fill(uniforms);
        selector.Select(uniforms, slots, probabilities);
        for (int i = 0; i < 64; i++)
        {
            Assert.AreEqual(Math.Pow(priorities[slots[i] / 2], 0.6) / total, probabilities[i], 1e-12);
        }
    }

    [TestMethod]
    public void UpdatesAndRemovalsChangeTheLaw()
    {
        using var tree = new CpuSumTree(4);
        var selector = new PrioritizedSelector(tree, 1.0);
        selector.Insert(0, 1);
        selector.Insert(1, 1);
        selector.Insert(2, 1);
        selector.Update(1, 0);
        selector.Remove(2);
        var slots = new int[100];
        var probabilities = new double[100];
        var uniforms = new double[100];
        new TestRandom(4).Fill(uniforms);
        selector.Select(uniforms, slots, probabilities);
        Assert.IsTrue(slots.All(s => s == 0));
        Assert.IsTrue(probabilities.All(p => p == 1.0));

        selector.UpdateBatch([0, 1, 0], [5, 3, 1]); // Last wins for slot 0.
        Assert.AreEqual(1.0, tree.Get(0));
        Assert.AreEqual(3.0, tree.Get(1));
        Assert.AreEqual(4.0, tree.Total);
    }

    [TestMethod]
    public void AllZeroPrioritiesSelectUniformlyOverHeldItems()
    {
        using var tree = new CpuSumTree(10);
        var selector = new PrioritizedSelector(tree, 0.6);
        selector.Insert(2, 0);
        selector.Insert(5, 0);
        selector.Insert(7, 0);
        selector.Insert(9, 4);
        selector.Update(9, 0);

        var counts = new int[10];
        var random = new TestRandom(3);
        var slots = new int[8];
        var probabilities = new double[8];
        var uniforms = new double[8];
        for (int round = 0; round < 1000; round++)
        {
            random.Fill(uniforms);
            selector.Select(uniforms, slots, probabilities);
            foreach (int slot in slots)
            {
                counts[slot]++;
            }

            Assert.IsTrue(probabilities.All(p => p == 0.25));
        }

        foreach (int slot in new[] { 2, 5, 7, 9 })
        {
            Assert.IsTrue(counts[slot] > 1800 && counts[slot] < 2200, $"slot {slot}: {counts[slot]}");
        }

        Assert.AreEqual(8000, counts[2] + counts[5] + counts[7] + counts[9]);
    }

    [TestMethod]
    public void ClearEmptiesTheTree()
    {
        using var tree = new CpuSumTree(10);
        var selector = new PrioritizedSelector(tree, 1.0);
        selector.Insert(1, 3);
        selector.Clear();
        Assert.AreEqual(0, selector.Count);
        Assert.AreEqual(0.0, tree.Total);
        selector.Insert(1, 2); // The slot is free again.
        Assert.AreEqual(2.0, tree.Total);
    }

    [TestMethod]
    public void MisuseIsRefused()
    {
        using var tree = new CpuSumTree(4);
        Assert.ThrowsException<GearException>(() => new PrioritizedSelector(tree, -1));
        Assert.ThrowsException<GearException>(() => new PrioritizedSelector(tree, double.NaN));
        var selector = new PrioritizedSelector(tree, 2.0);
        Assert.ThrowsException<InvalidOperationException>(() => selector.Select([0.5], new int[1], new double[1]));
        selector.Insert(1, 1);
        Assert.ThrowsException<InvalidOperationException>(() => selector.Insert(1, 1));
        Assert.ThrowsException<InvalidOperationException>(() => selector.Update(2, 1));
        Assert.ThrowsException<InvalidOperationException>(() => selector.Remove(2));
        Assert.ThrowsException<GearException>(() => selector.Update(1, 1e200)); // (1e200)^2 overflows.
        Assert.ThrowsException<InvalidOperationException>(() => selector.UpdateBatch([1, 3], [2, 2]));
        Assert.ThrowsException<GearException>(() => selector.UpdateBatch([1, 1], [2, 1e200]));
        Assert.AreEqual(1.0, tree.Get(1), "Refused updates must change nothing.");

        using var used = new CpuSumTree(4);
        used.Set(0, 1);
        Assert.ThrowsException<GearException>(() => new PrioritizedSelector(used, 1));
    }
}
