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
    public void BatchedRunsKeepInsertionOrderAndUnlinkWholeStretches()
    {
        var fifo = new FifoSelector(64);
        var lifo = new LifoSelector(64);
        int[] first = [10, 11, 12, 13];
        int[] second = [40, 41, 42];
        int[] third = [20, 21];
        foreach (IItemSelector selector in new IItemSelector[] { fifo, lifo })
        {
            selector.InsertBatch(first, new double[4]);
            selector.InsertBatch(second, new double[3]);
            selector.InsertBatch(third, new double[2]);
            selector.RemoveBatch(second);           // a whole stretch in the middle
            selector.RemoveBatch([11, 13]);         // not a stretch: removed one by one
            Assert.AreEqual(4, selector.Count);
        }
        CollectionAssert.AreEqual(new[] { 10, 12, 20, 21 }, fifo.Drain());
        CollectionAssert.AreEqual(new[] { 21, 20, 12, 10 }, lifo.Drain());

        var refused = new FifoSelector(8);
        refused.Insert(3, 0);
        Assert.ThrowsException<InvalidOperationException>(() => refused.InsertBatch([1, 2, 3], new double[3]));
        Assert.ThrowsException<InvalidOperationException>(() => refused.InsertBatch([4, 4], new double[2]));
        Assert.ThrowsException<InvalidOperationException>(() => refused.RemoveBatch([3, 5]));
        Assert.AreEqual(1, refused.Count);
        refused.InsertBatch([1, 2, 4], new double[3]); // nothing of the refused batches stuck
        CollectionAssert.AreEqual(new[] { 3, 1, 2, 4 }, refused.Drain());
    }
}
