using Gear.Core.Selection;

namespace Gear.Core.Tests.Selection;

/// <summary>Heap order and tie-breaking, following Reverb's heap_test.cc cases and more.</summary>
[TestClass]
public sealed class HeapSelectorTests
{
    [TestMethod]
    public void MinHeapChoosesTheLowestPriority()
    {
        var heap = new MinHeapSelector(200);
        heap.Insert(123, 2);
        heap.Insert(124, 1);
        heap.Insert(125, 3);
        Assert.AreEqual(124, heap.SelectOne());
        CollectionAssert.AreEqual(new[] { 124, 124, 124 }, heap.SelectDeterministic(3));
        heap.Remove(124);
        Assert.AreEqual(123, heap.SelectOne());
    }

    [TestMethod]
    public void MaxHeapChoosesTheHighestPriority()
    {
        var heap = new MaxHeapSelector(200);
        heap.Insert(123, 2);
        heap.Insert(124, 1);
        heap.Insert(125, 3);
        Assert.AreEqual(125, heap.SelectOne());
        heap.Remove(125);
        Assert.AreEqual(123, heap.SelectOne());
    }

    [TestMethod]
    public void TiesGoToTheEarliestInserted()
    {
        var min = new MinHeapSelector(10);
        min.Insert(5, 300);
        min.Insert(0, 1);
        min.Insert(3, 20);
        min.Insert(1, 1);
        min.Insert(4, 20);
        min.Insert(2, 1);
        CollectionAssert.AreEqual(new List<int> { 0, 1, 2, 3, 4, 5 }, min.Drain());

        var max = new MaxHeapSelector(10);
        max.Insert(5, 1);
        max.Insert(0, 300);
        max.Insert(3, 20);
        max.Insert(1, 300);
        max.Insert(4, 20);
        max.Insert(2, 300);
        CollectionAssert.AreEqual(new List<int> { 0, 1, 2, 3, 4, 5 }, max.Drain());
    }

    [TestMethod]
    public void AnUpdateMovesAnItemBehindItsEquals()
    {
        foreach (HeapSelector heap in new HeapSelector[] { new MinHeapSelector(3), new MaxHeapSelector(3) })
        {
            heap.Insert(2, 1);
            heap.Insert(0, 1);
            heap.Insert(1, 1);
            heap.Update(2, 1); // Same priority, but now the most recently touched.
            CollectionAssert.AreEqual(new List<int> { 0, 1, 2 }, heap.Drain());
        }
    }

    [TestMethod]
    public void UpdatesChangeTheOrder()
    {
        var heap = new MinHeapSelector(200);
        heap.Insert(123, 2);
        heap.Insert(124, 1);
        heap.Insert(125, 3);
        heap.Update(124, 5);
        Assert.AreEqual(123, heap.SelectOne());
        heap.Update(125, 0.5);
        Assert.AreEqual(125, heap.SelectOne());
        heap.Update(123, 0.5); // Ties 125, but updated later.
        CollectionAssert.AreEqual(new List<int> { 125, 123, 124 }, heap.Drain());
    }

    [TestMethod]
    public void RandomOperationsMatchASortedReference()
    {
        foreach (bool minHeap in new[] { true, false })
        {
            var random = new TestRandom(minHeap ? 1UL : 2UL);
            const int capacity = 300;
            HeapSelector heap = minHeap ? new MinHeapSelector(capacity) : new MaxHeapSelector(capacity);
            var priority = new Dictionary<int, double>();
            var stamp = new Dictionary<int, long>();
            long clock = 0;
            for (int step = 0; step < 20_000; step++)
            {
                int slot = random.NextInt(capacity);
                double p = random.NextInt(20); // Few distinct values: many ties.
                if (!priority.ContainsKey(slot))
                {
                    heap.Insert(slot, p);
                    priority[slot] = p;
                    stamp[slot] = clock++;
                }
                else if (random.NextInt(2) == 0)
                {
                    heap.Update(slot, p);
                    priority[slot] = p;
                    stamp[slot] = clock++;
                }
                else
                {
                    heap.Remove(slot);
                    priority.Remove(slot);
                    stamp.Remove(slot);
                }

                if (priority.Count > 0)
                {
                    int expected = priority.Keys
                        .OrderBy(s => minHeap ? priority[s] : -priority[s])
                        .ThenBy(s => stamp[s])
                        .First();
                    Assert.AreEqual(expected, heap.SelectOne(), $"step {step}");
                }
            }
        }
    }

    [TestMethod]
    public void ClearEmptiesTheHeap()
    {
        var heap = new MaxHeapSelector(4);
        heap.Insert(1, 2);
        heap.Insert(2, 1);
        heap.Clear();
        Assert.AreEqual(0, heap.Count);
        heap.Insert(3, 10);
        heap.Insert(1, 10);
        Assert.AreEqual(3, heap.SelectOne());
        Assert.ThrowsException<InvalidOperationException>(() => heap.Remove(2));
        Assert.ThrowsException<InvalidOperationException>(() => heap.Insert(3, 1));
    }
}
