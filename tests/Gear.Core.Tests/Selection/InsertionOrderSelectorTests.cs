using Gear.Core.Selection;

namespace Gear.Core.Tests.Selection;

[TestClass]
public sealed class InsertionOrderSelectorTests
{
    [TestMethod]
    public void FifoChoosesTheOldestUnderInsertsAndRemovals()
    {
        var fifo = new FifoSelector(16);
        foreach (int slot in new[] { 5, 2, 9, 0, 7 })
        {
            fifo.Insert(slot, 1);
        }

        Assert.AreEqual(5, fifo.SelectOne());
        CollectionAssert.AreEqual(new[] { 5, 5, 5, 5 }, fifo.SelectDeterministic(4), "A batch repeats the oldest.");
        fifo.Update(5, 100); // Updates do not reorder.
        Assert.AreEqual(5, fifo.SelectOne());
        fifo.Remove(9); // From the middle.
        fifo.Remove(5); // The head.
        Assert.AreEqual(2, fifo.SelectOne());
        fifo.Insert(9, 1); // Re-inserted: now the newest.
        fifo.Remove(7); // The tail.
        fifo.Insert(5, 1);
        CollectionAssert.AreEqual(new List<int> { 2, 0, 9, 5 }, fifo.Drain());
    }

    [TestMethod]
    public void LifoChoosesTheNewestUnderInsertsAndRemovals()
    {
        var lifo = new LifoSelector(16);
        foreach (int slot in new[] { 5, 2, 9, 0, 7 })
        {
            lifo.Insert(slot, 1);
        }

        Assert.AreEqual(7, lifo.SelectOne());
        CollectionAssert.AreEqual(new[] { 7, 7, 7 }, lifo.SelectDeterministic(3));
        lifo.Update(2, 100);
        lifo.Remove(7);
        Assert.AreEqual(0, lifo.SelectOne());
        lifo.Remove(2);
        lifo.Insert(7, 1);
        lifo.Insert(2, 1);
        CollectionAssert.AreEqual(new List<int> { 2, 7, 0, 9, 5 }, lifo.Drain());
    }

    [TestMethod]
    public void ClearForgetsEverything()
    {
        var fifo = new FifoSelector(4);
        fifo.Insert(1, 1);
        fifo.Insert(2, 1);
        fifo.Clear();
        Assert.AreEqual(0, fifo.Count);
        fifo.Insert(2, 1);
        fifo.Insert(1, 1);
        CollectionAssert.AreEqual(new List<int> { 2, 1 }, fifo.Drain());
    }

    [TestMethod]
    public void MisuseIsRefused()
    {
        foreach (IItemSelector selector in new IItemSelector[] { new FifoSelector(4), new LifoSelector(4) })
        {
            Assert.ThrowsException<InvalidOperationException>(() => selector.SelectOne());
            selector.Insert(1, 1);
            Assert.ThrowsException<InvalidOperationException>(() => selector.Insert(1, 1));
            Assert.ThrowsException<InvalidOperationException>(() => selector.Remove(3));
            Assert.ThrowsException<InvalidOperationException>(() => selector.Update(3, 1));
            Assert.ThrowsException<ArgumentOutOfRangeException>(() => selector.Insert(4, 1));
            Assert.AreEqual(1, selector.Count);
        }
    }

    [TestMethod]
    public void RunsKeepInsertionOrderAndUnlinkWholeStretches()
    {
        var fifo = new FifoSelector(64);
        var lifo = new LifoSelector(64);
        foreach (IItemSelector selector in new IItemSelector[] { fifo, lifo })
        {
            selector.InsertRun(10, new double[4]);  // 10..13
            selector.InsertRun(40, new double[3]);  // 40..42
            selector.InsertRun(20, new double[2]);  // 20..21
            selector.RemoveRun(40, 3);              // a whole stretch in the middle
            selector.Remove(11);
            selector.RemoveRun(12, 2);              // 12..13 are still a stretch
            Assert.AreEqual(3, selector.Count);
        }
        CollectionAssert.AreEqual(new[] { 10, 20, 21 }, fifo.Drain());
        CollectionAssert.AreEqual(new[] { 21, 20, 10 }, lifo.Drain());

        // A run whose slots are held but not one stretch (re-inserted out of order) is removed slot by slot.
        var mixed = new FifoSelector(8);
        mixed.Insert(2, 0);
        mixed.Insert(1, 0);
        mixed.Insert(3, 0);
        mixed.RemoveRun(1, 2);
        CollectionAssert.AreEqual(new[] { 3 }, mixed.Drain());

        var refused = new FifoSelector(8);
        refused.Insert(3, 0);
        Assert.ThrowsException<InvalidOperationException>(() => refused.InsertRun(1, new double[3])); // 3 is held
        Assert.ThrowsException<InvalidOperationException>(() => refused.RemoveRun(3, 2));            // 4 is not
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => refused.InsertRun(6, new double[3]));
        Assert.AreEqual(1, refused.Count);
        refused.InsertRun(4, new double[2]); // nothing of the refused runs stuck
        CollectionAssert.AreEqual(new[] { 3, 4, 5 }, refused.Drain());
    }

    [TestMethod]
    public void RandomRunsAndSingleSlotsKeepTheOrderOfAPlainList()
    {
        // The list keeps links only at the ends of runs; this checks it against a plain list over many random
        // mixes of runs and single slots, removals from inside runs (which split them) and re-insertions
        // next to old neighbours, with the whole order compared after every step.
        const int Capacity = 200;
        var random = new Random(7);
        for (var round = 0; round < 40; round++)
        {
            var fifo = new FifoSelector(Capacity);
            var expected = new List<int>();
            for (var step = 0; step < 300; step++)
            {
                var first = random.Next(Capacity);
                var count = Math.Min(1 + random.Next(70), Capacity - first);
                var free = Enumerable.Range(first, count).All(s => !expected.Contains(s));
                var held = Enumerable.Range(first, count).All(expected.Contains);
                switch (random.Next(5))
                {
                    case 0 when free:
                        fifo.InsertRun(first, new double[count]);
                        expected.AddRange(Enumerable.Range(first, count));
                        break;
                    case 1 when free:
                        fifo.Insert(first, 1);
                        expected.Add(first);
                        break;
                    case 2 when held:
                        fifo.RemoveRun(first, count);
                        expected.RemoveAll(s => s >= first && s < first + count);
                        break;
                    case 3 when expected.Count > 0:
                        var victim = expected[random.Next(expected.Count)];
                        fifo.Remove(victim);
                        expected.Remove(victim);
                        break;
                    case 4 when random.Next(20) == 0:
                        fifo.Clear();
                        expected.Clear();
                        break;
                }

                CollectionAssert.AreEqual(expected, ((ISnapshotOrder)fifo).RestoreOrder(out _), $"round {round}, step {step}");
                Assert.AreEqual(expected.Count, fifo.Count);
                if (expected.Count > 0)
                    Assert.AreEqual(expected[0], fifo.SelectOne());
            }
        }
    }
}
