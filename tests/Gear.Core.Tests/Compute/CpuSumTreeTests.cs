using Gear.Core.Compute.Cpu;
using Gear.Core.Errors;
using Gear.Core.Tests.Selection;

namespace Gear.Core.Tests.Compute;

[TestClass]
public sealed class CpuSumTreeTests
{
    // Not powers of 8, powers of 8, and one past them: padding and level counts differ for each.
    private static readonly int[] Capacities = [1, 2, 7, 8, 9, 63, 64, 65, 100, 511, 512, 513, 4097, 40_000];

    [TestMethod]
    public void NewTreeIsAllZero()
    {
        using var tree = new CpuSumTree(100);
        Assert.AreEqual(100, tree.Capacity);
        Assert.AreEqual(0.0, tree.Total);
        for (int i = 0; i < 100; i++)
        {
            Assert.AreEqual(0.0, tree.Get(i));
        }
    }

    [TestMethod]
    public void TotalsFollowRandomSetAndSetBatchSequences()
    {
        foreach (int capacity in Capacities)
        {
            var random = new TestRandom((ulong)capacity + 17);
            using var tree = new CpuSumTree(capacity);
            var naive = new double[capacity];
            for (int step = 0; step < 200; step++)
            {
                if (step % 3 == 0)
                {
                    int n = 1 + random.NextInt(Math.Min(capacity, 300));
                    var slots = new int[n];
                    var values = new double[n];
                    for (int i = 0; i < n; i++)
                    {
                        slots[i] = random.NextInt(capacity);
                        values[i] = random.NextInt(4) == 0 ? 0 : random.NextDouble() * 100;
                        naive[slots[i]] = values[i]; // Later entries overwrite earlier ones: last wins.
                    }

                    tree.SetBatch(slots, values);
                }
                else
                {
                    int slot = random.NextInt(capacity);
                    double value = random.NextInt(4) == 0 ? 0 : random.NextDouble() * 100;
                    naive[slot] = value;
                    tree.Set(slot, value);
                }

                double sum = naive.Sum();
                Assert.AreEqual(sum, tree.Total, 1e-9 * Math.Max(1, sum), $"capacity {capacity}, step {step}");
            }

            for (int i = 0; i < capacity; i++)
            {
                Assert.AreEqual(naive[i], tree.Get(i), $"capacity {capacity}, leaf {i}");
            }
        }
    }

    [TestMethod]
    public void SumsAreRecomputedSoZeroingEveryLeafGivesExactlyZero()
    {
        var random = new TestRandom(5);
        using var tree = new CpuSumTree(5000);
        for (int round = 0; round < 50; round++)
        {
            for (int i = 0; i < 5000; i++)
            {
                tree.Set(i, random.NextDouble() * Math.Pow(10, random.NextInt(12) - 6));
            }
        }

        for (int i = 0; i < 5000; i++)
        {
            tree.Set(i, 0);
        }

        Assert.AreEqual(0.0, tree.Total); // A `+= delta` tree would be left with rounding residue here.
    }

    [TestMethod]
    public void DuplicateSlotsInABatchKeepTheLastValue()
    {
        using var tree = new CpuSumTree(20);
        tree.SetBatch([3, 7, 3, 3, 7, 11], [1, 2, 30, 4, 5, 6]);
        Assert.AreEqual(4.0, tree.Get(3));
        Assert.AreEqual(5.0, tree.Get(7));
        Assert.AreEqual(6.0, tree.Get(11));
        Assert.AreEqual(15.0, tree.Total);
    }

    [TestMethod]
    public void StratifiedPlacementMatchesNaivePrefixSums()
    {
        // Integer leaf values keep every sum exact, so the tree and the naive prefix scan must agree on every
        // index, whatever the association order of the additions.
        foreach (int capacity in Capacities)
        {
            foreach (bool simd in new[] { true, false })
            {
                var random = new TestRandom((ulong)capacity * 31 + (simd ? 1UL : 2UL));
                using var tree = new CpuSumTree(capacity, allowSimd: simd);
                var naive = new double[capacity];
                for (int i = 0; i < capacity; i++)
                {
                    naive[i] = random.NextInt(3) == 0 ? 0 : random.NextInt(1000);
                }

                if (naive.Sum() == 0)
                {
                    naive[capacity / 2] = 1;
                }

                tree.SetBatch(Enumerable.Range(0, capacity).ToArray(), naive);
                foreach (int n in new[] { 1, 2, 7, 64, 256 })
                {
                    var uniforms = new double[n];
                    random.Fill(uniforms);
                    var slots = new int[n];
                    var values = new double[n];
                    tree.SampleStratified(uniforms, slots, values);
                    for (int i = 0; i < n; i++)
                    {
                        double target = ((i + uniforms[i]) / n) * tree.Total;
                        int expected = NaiveFind(naive, target);
                        Assert.AreEqual(expected, slots[i], $"capacity {capacity}, simd {simd}, n {n}, choice {i}");
                        Assert.AreEqual(naive[expected], values[i]);
                    }
                }
            }
        }
    }

    [TestMethod]
    public void SimdAndScalarDescentsChooseTheSameLeavesForArbitraryValues()
    {
        var random = new TestRandom(99);
        const int capacity = 100_000;
        using var simd = new CpuSumTree(capacity, allowSimd: true);
        using var scalar = new CpuSumTree(capacity, allowSimd: false);
        var values = new double[capacity];
        for (int i = 0; i < capacity; i++)
        {
            values[i] = random.NextInt(5) == 0 ? 0 : Math.Pow(random.NextDouble() * 1e3, 0.6);
        }

        int[] all = Enumerable.Range(0, capacity).ToArray();
        simd.SetBatch(all, values);
        scalar.SetBatch(all, values);
        Assert.AreEqual(scalar.Total, simd.Total);

        var uniforms = new double[256];
        var slotsA = new int[256];
        var slotsB = new int[256];
        var valuesA = new double[256];
        var valuesB = new double[256];
        for (int round = 0; round < 50; round++)
        {
            random.Fill(uniforms);
            simd.SampleStratified(uniforms, slotsA, valuesA);
            scalar.SampleStratified(uniforms, slotsB, valuesB);
            CollectionAssert.AreEqual(slotsB, slotsA);
            for (int i = 0; i < 256; i++)
            {
                Assert.IsTrue(valuesA[i] > 0, "A zero leaf was chosen.");
                Assert.AreEqual(values[slotsA[i]], valuesA[i]);
            }

            // Stratified choices come in leaf order.
            for (int i = 1; i < 256; i++)
            {
                Assert.IsTrue(slotsA[i] >= slotsA[i - 1]);
            }
        }
    }

    [TestMethod]
    public void UniformZeroLandsOnTheFirstNonZeroLeaf()
    {
        using var tree = new CpuSumTree(100);
        tree.Set(37, 2);
        tree.Set(40, 3);
        tree.Set(90, 1);
        var slots = new int[1];
        var values = new double[1];
        tree.SampleStratified([0.0], slots, values);
        Assert.AreEqual(37, slots[0]);
        Assert.AreEqual(2.0, values[0]);
    }

    [TestMethod]
    public void UniformJustBelowOneLandsOnTheLastNonZeroLeaf()
    {
        double almostOne = Math.BitDecrement(1.0);
        foreach (int capacity in Capacities.Where(c => c >= 8))
        {
            using var tree = new CpuSumTree(capacity);
            tree.Set(1, 0.1);
            tree.Set(2, 0.7);
            tree.Set(capacity - 6, 0.3); // Zero leaves after it, to the end.
            foreach (int n in new[] { 1, 2, 3, 4, 10, 1000 })
            {
                // For n >= 2, (n - 1 + almostOne) / n rounds to exactly 1, so the target is the whole total:
                // the descent must still end on the last non-zero leaf, not on a zero leaf past it.
                var uniforms = new double[n];
                uniforms[n - 1] = almostOne;
                var slots = new int[n];
                var values = new double[n];
                tree.SampleStratified(uniforms, slots, values);
                Assert.AreEqual(capacity - 6, slots[n - 1], $"capacity {capacity}, n {n}");
                Assert.AreEqual(0.3, values[n - 1]);
            }
        }
    }

    [TestMethod]
    public void ZeroLeavesAreNeverChosen()
    {
        var random = new TestRandom(3);
        using var tree = new CpuSumTree(1000);
        for (int i = 0; i < 1000; i += 3)
        {
            tree.Set(i, 1e-300 * (1 + random.NextDouble())); // Tiny values between zeros: rounding at its worst.
        }

        tree.Set(500, 1e10);
        var uniforms = new double[512];
        var slots = new int[512];
        var values = new double[512];
        for (int round = 0; round < 20; round++)
        {
            random.Fill(uniforms);
            tree.SampleStratified(uniforms, slots, values);
            foreach (int slot in slots)
            {
                Assert.IsTrue(tree.Get(slot) > 0, $"Slot {slot} has value zero.");
            }
        }
    }

    [TestMethod]
    public void ASingleNonZeroLeafTakesEveryChoice()
    {
        foreach (int capacity in Capacities)
        {
            using var tree = new CpuSumTree(capacity);
            int only = capacity - 1;
            tree.Set(only, 0.25);
            var uniforms = new double[64];
            new TestRandom(8).Fill(uniforms);
            uniforms[0] = 0;
            uniforms[63] = Math.BitDecrement(1.0);
            var slots = new int[64];
            var values = new double[64];
            tree.SampleStratified(uniforms, slots, values);
            Assert.IsTrue(slots.All(s => s == only), $"capacity {capacity}");
            Assert.IsTrue(values.All(v => v == 0.25));
        }
    }

    [TestMethod]
    public void CapacityOneWorks()
    {
        using var tree = new CpuSumTree(1);
        tree.Set(0, 5);
        Assert.AreEqual(5.0, tree.Total);
        var slots = new int[3];
        var values = new double[3];
        tree.SampleStratified([0.0, 0.5, Math.BitDecrement(1.0)], slots, values);
        CollectionAssert.AreEqual(new[] { 0, 0, 0 }, slots);
        tree.SetBatch([0, 0], [1, 2]);
        Assert.AreEqual(2.0, tree.Total);
        tree.Clear();
        Assert.AreEqual(0.0, tree.Total);
    }

    [TestMethod]
    public void ClearZeroesEverything()
    {
        using var tree = new CpuSumTree(70);
        for (int i = 0; i < 70; i++)
        {
            tree.Set(i, i + 1);
        }

        tree.Clear();
        Assert.AreEqual(0.0, tree.Total);
        Assert.AreEqual(0.0, tree.Get(69));
        tree.Set(5, 2);
        Assert.AreEqual(2.0, tree.Total);
    }

    [TestMethod]
    public void SamplingAnEmptyTreeThrows()
    {
        using var tree = new CpuSumTree(10);
        Assert.ThrowsException<InvalidOperationException>(() => tree.SampleStratified([0.5], new int[1], new double[1]));
        tree.Set(3, 1);
        tree.Set(3, 0);
        Assert.ThrowsException<InvalidOperationException>(() => tree.SampleStratified([0.5], new int[1], new double[1]));
    }

    [TestMethod]
    public void BadArgumentsAreRefusedAndChangeNothing()
    {
        using var tree = new CpuSumTree(10);
        tree.Set(1, 1);
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => tree.Set(10, 1));
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => tree.Get(-1));
        Assert.AreEqual(GearErrorCode.InvalidArgument, Assert.ThrowsException<GearException>(() => tree.Set(0, -1)).Code);
        Assert.ThrowsException<GearException>(() => tree.Set(0, double.NaN));
        Assert.ThrowsException<GearException>(() => tree.Set(0, double.PositiveInfinity));
        Assert.ThrowsException<GearException>(() => tree.SetBatch([2, 3], [5, double.NaN]));
        Assert.ThrowsException<ArgumentException>(() => tree.SetBatch([2, 3], [5]));
        Assert.AreEqual(0.0, tree.Get(2), "A refused batch must change nothing.");
        Assert.AreEqual(1.0, tree.Total);
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => tree.SampleStratified([1.0], new int[1], new double[1]));
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => tree.SampleStratified([-0.1], new int[1], new double[1]));
        Assert.ThrowsException<ArgumentException>(() => tree.SampleStratified([0.1, 0.2], new int[1], new double[2]));
        Assert.ThrowsException<GearException>(() => new CpuSumTree(0));
    }

    [TestMethod]
    public void UseAfterDisposeThrows()
    {
        var tree = new CpuSumTree(10);
        tree.Dispose();
        Assert.ThrowsException<ObjectDisposedException>(() => tree.Total);
        Assert.ThrowsException<ObjectDisposedException>(() => tree.Set(0, 1));
        tree.Dispose(); // Twice is fine.
    }

    [TestMethod]
    public void SampleAndSetBatchDoNotAllocate()
    {
        using var tree = new CpuSumTree(10_000);
        var random = new TestRandom(1);
        var all = Enumerable.Range(0, 10_000).ToArray();
        var init = new double[10_000];
        for (int i = 0; i < init.Length; i++)
        {
            init[i] = random.NextDouble() + 0.01;
        }

        tree.SetBatch(all, init);
        var uniforms = new double[256];
        var slots = new int[256];
        var values = new double[256];
        random.Fill(uniforms);
        tree.SampleStratified(uniforms, slots, values);
        tree.SetBatch(slots, values);
        tree.Set(0, 1);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 1000; round++)
        {
            random.Fill(uniforms);
            tree.SampleStratified(uniforms, slots, values);
            tree.SetBatch(slots, values);
            tree.Set(slots[0], values[0]);
            _ = tree.Get(slots[1]) + tree.Total;
        }

        Assert.AreEqual(0L, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>The first leaf whose running sum exceeds the target; past the total, the last non-zero leaf.</summary>
    private static int NaiveFind(double[] leaves, double target)
    {
        double running = 0;
        int lastNonZero = -1;
        for (int i = 0; i < leaves.Length; i++)
        {
            if (leaves[i] > 0)
            {
                lastNonZero = i;
            }

            running += leaves[i];
            if (target < running)
            {
                return i;
            }
        }

        return lastNonZero;
    }
}
