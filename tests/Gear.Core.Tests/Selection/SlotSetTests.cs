using Gear.Core.Selection;

namespace Gear.Core.Tests.Selection;

/// <summary>The bitmap-and-Fenwick slot set against a sorted-set reference, its batch operations, and its picks.</summary>
[TestClass]
public sealed class SlotSetTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(63)]
    [DataRow(64)]
    [DataRow(65)]
    [DataRow(1000)]
    [DataRow(4097)]
    public void RandomOperationsMatchASortedSet(int capacity)
    {
        var set = new SlotSet(capacity);
        var reference = new SortedSet<int>();
        var random = new Random(capacity);
        for (var round = 0; round < 2000; round++)
        {
            var slot = random.Next(capacity);
            switch (random.Next(4))
            {
                case 0 when !reference.Contains(slot):
                    set.Add(slot);
                    reference.Add(slot);
                    break;
                case 1 when reference.Contains(slot):
                    set.Remove(slot);
                    reference.Remove(slot);
                    break;
                case 2:
                    // A run of consecutive free slots, as a closed trajectory's step items arrive on a page.
                    var run = Enumerable.Range(slot, Math.Min(random.Next(1, 130), capacity - slot)).TakeWhile(s => !reference.Contains(s)).ToArray();
                    set.AddRun(slot, run.Length);
                    reference.UnionWith(run);
                    break;
                case 3:
                    var held = Enumerable.Range(slot, Math.Min(random.Next(1, 130), capacity - slot)).TakeWhile(reference.Contains).ToArray();
                    set.RemoveRun(slot, held.Length);
                    reference.ExceptWith(held);
                    break;
            }

            Assert.AreEqual(reference.Count, set.Count);
            Assert.AreEqual(reference.Contains(slot), set.Contains(slot));
        }

        var ordered = reference.ToArray();
        for (var rank = 0; rank < ordered.Length; rank++)
            Assert.AreEqual(ordered[rank], set.SlotOfRank(rank), $"rank {rank}");
    }

    [TestMethod]
    public void RunsAreAllOrNothing()
    {
        var set = new SlotSet(200);
        set.AddRun(10, 3);
        set.Add(100);
        Assert.ThrowsException<InvalidOperationException>(() => set.AddRun(5, 6));    // 10 is held
        Assert.ThrowsException<InvalidOperationException>(() => set.AddRun(60, 70));   // crosses words, then 100
        Assert.ThrowsException<InvalidOperationException>(() => set.RemoveRun(10, 4)); // 13 is not held
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => set.AddRun(190, 20));
        Assert.AreEqual(4, set.Count);
        CollectionAssert.AreEqual(new[] { 10, 11, 12, 100 }, Enumerable.Range(0, 4).Select(set.SlotOfRank).ToArray());
        foreach (var slot in new[] { 5, 9, 13, 60, 99, 101, 129, 190 })
            Assert.IsFalse(set.Contains(slot), $"slot {slot} leaked from a refused run");
        set.RemoveRun(10, 3);
        set.Remove(100);
        set.AddRun(0, 200); // every word, the last one partial
        Assert.AreEqual(200, set.Count);
        Assert.AreEqual(199, set.SlotOfRank(199));
        set.RemoveRun(0, 200);
        Assert.AreEqual(0, set.Count);
    }

    [TestMethod]
    [DataRow(100, 37)]  // sparse: most candidates are rejected, the rank fallback decides
    [DataRow(100, 93)]  // dense: most candidates are accepted at once
    [DataRow(4096, 40)] // held slots spread up to near the top of a large capacity
    public void PicksAreExactlyUniformOverAFineGrid(int capacity, int held)
    {
        var set = new SlotSet(capacity);
        var random = new Random(held);
        var slots = Enumerable.Range(0, capacity).OrderBy(_ => random.Next()).Take(held).ToArray();
        foreach (var slot in slots)
            set.Add(slot);

        // Every fraction of a fine uniform grid: each held slot must get 1/held of them, up to the grid's
        // resolution. A bias of the rejection step (say, favouring slots next to empty ones) would show here.
        const int grid = 1_000_000;
        var counts = new Dictionary<int, int>();
        for (var i = 0; i < grid; i++)
        {
            var pick = set.Pick((i + 0.5) / grid);
            counts[pick] = counts.GetValueOrDefault(pick) + 1;
        }

        CollectionAssert.AreEquivalent(slots, counts.Keys.ToArray(), "picks must be held slots, and every held slot picked");
        var expected = (double)grid / held;
        foreach (var (slot, count) in counts)
            Assert.AreEqual(expected, count, expected * 0.002, $"slot {slot}");
    }

    [TestMethod]
    public void PicksFromTheLowSlotsOfALargeCapacityAreExactlyUniform()
    {
        // A table of trajectory items: 1,000 held among 4,096 slots, low slots first, with a gap.
        var set = new SlotSet(4096);
        set.AddRun(0, 1000);
        set.Remove(500);
        const int grid = 1_000_000;
        var counts = new int[4096];
        for (var i = 0; i < grid; i++)
            counts[set.Pick((i + 0.5) / grid)]++;

        Assert.AreEqual(0, counts[500], "a slot not held is never picked");
        Assert.AreEqual(0, counts.Skip(1000).Sum(), "nothing above the held slots is picked");
        var expected = (double)grid / 999;
        for (var slot = 0; slot < 1000; slot++)
            if (slot != 500)
                Assert.AreEqual(expected, counts[slot], expected * 0.002, $"slot {slot}");
    }

    [TestMethod]
    public void PickRangeIsOnePastTheHighestHeldSlot()
    {
        var set = new SlotSet(1000);
        Assert.AreEqual(0, set.PickRange);
        set.Add(10);
        set.AddRun(100, 50);
        Assert.AreEqual(150, set.PickRange);
        set.Remove(149);
        Assert.AreEqual(149, set.PickRange, "removing the highest lowers the range to the next held slot");
        set.Remove(120);
        Assert.AreEqual(149, set.PickRange, "removing a lower slot leaves it");
        set.RemoveRun(100, 20);
        set.RemoveRun(121, 28);
        Assert.AreEqual(11, set.PickRange);
        set.Add(999);
        Assert.AreEqual(1000, set.PickRange);
        set.Remove(999);
        set.Remove(10);
        Assert.AreEqual(0, set.PickRange, "empty");
        set.Add(3);
        set.Clear();
        Assert.AreEqual(0, set.PickRange);
    }
}
