using Gear.Core.Selection;

namespace Gear.Core.Tests.Selection;

[TestClass]
public sealed class TopKSelectorTests
{
    [TestMethod]
    public void ReturnsTheBestDistinctItemsBestFirst()
    {
        var topK = new TopKSelector(10);
        double[] priorities = [3, 9, 1, 7, 7, 0, 5, 9, 2, 4];
        for (int slot = 0; slot < priorities.Length; slot++)
        {
            topK.Insert(slot, priorities[slot]);
        }

        // Ties (9: slots 1 and 7; 7: slots 3 and 4) go to the earlier insert, as in the max heap.
        CollectionAssert.AreEqual(new[] { 1, 7, 3, 4, 6 }, topK.SelectDeterministic(5));
        CollectionAssert.AreEqual(new[] { 1 }, topK.SelectDeterministic(1));
        CollectionAssert.AreEqual(new[] { 1, 7, 3, 4, 6, 9, 0, 8, 2, 5 }, topK.SelectDeterministic(10));

        topK.Update(1, 9); // Still 9, but now touched after slot 7.
        topK.Update(5, 8);
        topK.Remove(3);
        CollectionAssert.AreEqual(new[] { 7, 1, 5, 4 }, topK.SelectDeterministic(4));
    }

    [TestMethod]
    public void MoreChoicesThanItemsCycleFromTheBest()
    {
        var topK = new TopKSelector(8);
        topK.Insert(4, 1);
        topK.Insert(6, 3);
        topK.Insert(2, 2);
        CollectionAssert.AreEqual(new[] { 6, 2, 4, 6, 2, 4, 6, 2 }, topK.SelectDeterministic(8));
    }

    [TestMethod]
    public void RandomHeapsMatchAFullSort()
    {
        var random = new TestRandom(21);
        const int capacity = 500;
        var topK = new TopKSelector(capacity);
        var priority = new Dictionary<int, double>();
        var stamp = new Dictionary<int, long>();
        long clock = 0;
        for (int step = 0; step < 3000; step++)
        {
            int slot = random.NextInt(capacity);
            double p = random.NextInt(50);
            if (!priority.ContainsKey(slot))
            {
                topK.Insert(slot, p);
                priority[slot] = p;
                stamp[slot] = clock++;
            }
            else if (random.NextInt(3) > 0)
            {
                topK.Update(slot, p);
                priority[slot] = p;
                stamp[slot] = clock++;
            }
            else
            {
                topK.Remove(slot);
                priority.Remove(slot);
                stamp.Remove(slot);
            }

            if (step % 100 == 99)
            {
                int n = 1 + random.NextInt(priority.Count + 10);
                int[] sorted = priority.Keys.OrderBy(s => -priority[s]).ThenBy(s => stamp[s]).ToArray();
                int[] expected = Enumerable.Range(0, n).Select(i => sorted[i % sorted.Length]).ToArray();
                CollectionAssert.AreEqual(expected, topK.SelectDeterministic(n), $"step {step}, n {n}");
            }
        }
    }
}
