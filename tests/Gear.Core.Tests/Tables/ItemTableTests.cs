using Gear.Core.Tables;

namespace Gear.Core.Tests.Tables;

[TestClass]
public sealed class ItemTableTests
{
    [TestMethod]
    public void ABlocksItemsShareAGenerationThatEachNewRunCountsUp()
    {
        using var items = new ItemTable(capacity: 16, blockShift: 2); // blocks of 4 slots
        items.AddRun(4, 3, trajectory: 7, firstStep: 10);
        var first = Enumerable.Range(4, 3).Select(items.KeyOf).ToArray();
        Assert.AreEqual(3, items.Count);
        Assert.IsTrue(Enumerable.Range(4, 3).All(items.IsLive));
        Assert.IsFalse(items.IsLive(7), "the block's last slot was not in the run");
        Assert.AreEqual(11, items[5].Step);
        Assert.AreEqual(7, items[6].Trajectory);
        Assert.IsTrue(items.TryFind(first[1], out var slot) && slot == 5);

        items.Remove(5);
        Assert.IsFalse(items.TryFind(first[1], out _));
        items.RemoveRun(4, 1);
        items.RemoveRun(6, 1);
        Assert.AreEqual(0, items.Count);

        items.AddRun(4, 4, trajectory: 2, firstStep: 0);
        var second = Enumerable.Range(4, 4).Select(items.KeyOf).ToArray();
        Assert.IsFalse(first.Intersect(second).Any(), "a new run's keys are new");
        Assert.IsFalse(first.Any(k => items.TryFind(k, out _)), "old keys find nothing");
        Assert.IsTrue(second.All(k => items.TryFind(k, out _)));
        Assert.AreEqual(1, Enumerable.Range(4, 4).Select(items.GenerationOf).Distinct().Count());
        Assert.AreEqual(0, items[7].TimesSampled, "records are written whole");
    }

    [TestMethod]
    public void ARunThatWouldGiveTwoItemsOneKeyIsRefused()
    {
        using var items = new ItemTable(capacity: 16, blockShift: 2);
        Assert.ThrowsException<InvalidOperationException>(() => items.AddRun(5, 2, 0, 0), "not the block's start");
        Assert.ThrowsException<InvalidOperationException>(() => items.AddRun(4, 5, 0, 0), "longer than the block");
        items.AddRun(8, 2, 0, 0);
        items.Remove(8);
        Assert.ThrowsException<InvalidOperationException>(() => items.AddRun(8, 4, 1, 0), "slot 9 is still live");
        Assert.AreEqual(1, items.Count);
    }

    [TestMethod]
    public void ARestoredBlockTakesTheHighestGenerationOfItsSlots()
    {
        // Snapshots written when generations were per slot may give one page's slots different generations.
        using var items = new ItemTable(capacity: 8, blockShift: 2);
        foreach (var (slot, generation) in new[] { (0, 3u), (1, 5u), (2, 4u), (3, 0u), (4, 1u) })
            items.RestoreGeneration(slot, generation);
        Assert.AreEqual(5u, items.GenerationOf(2));
        Assert.AreEqual(1u, items.GenerationOf(7));
    }
}
