using Gear.Core.Compute.Cpu;
using Gear.Core.Selection;

namespace Gear.Core.Tests.Selection;

/// <summary>After construction, no selector allocates on Insert, Update, Remove, Select or Clear.</summary>
[TestClass]
public sealed class ZeroAllocationTests
{
    private const int Capacity = 2048;

    [TestMethod]
    public void UniformDoesNotAllocate() => AssertNoAllocation(new UniformSelector(Capacity));

    [TestMethod]
    public void PrioritizedDoesNotAllocate()
    {
        using var tree = new CpuSumTree(Capacity);
        var selector = new PrioritizedSelector(tree, 0.6);
        AssertNoAllocation(selector);

        selector.Clear();
        var slots = new int[256];
        var priorities = new double[256];
        for (int i = 0; i < 256; i++)
        {
            selector.Insert(i, 1);
            slots[i] = i;
            priorities[i] = i + 1;
        }

        selector.UpdateBatch(slots, priorities);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 100; round++)
        {
            selector.UpdateBatch(slots, priorities);
        }

        Assert.AreEqual(0L, GC.GetAllocatedBytesForCurrentThread() - before, "UpdateBatch allocated.");
    }

    [TestMethod]
    public void AllZeroPrioritizedDoesNotAllocate()
    {
        using var tree = new CpuSumTree(Capacity);
        AssertNoAllocation(new PrioritizedSelector(tree, 0.6), priorityScale: 0);
    }

    [TestMethod]
    public void FifoDoesNotAllocate() => AssertNoAllocation(new FifoSelector(Capacity));

    [TestMethod]
    public void LifoDoesNotAllocate() => AssertNoAllocation(new LifoSelector(Capacity));

    [TestMethod]
    public void MinHeapDoesNotAllocate() => AssertNoAllocation(new MinHeapSelector(Capacity));

    [TestMethod]
    public void MaxHeapDoesNotAllocate() => AssertNoAllocation(new MaxHeapSelector(Capacity));

    [TestMethod]
    public void TopKDoesNotAllocate() => AssertNoAllocation(new TopKSelector(Capacity));

    [TestMethod]
    public void UniformWithoutReplacementDoesNotAllocate() => AssertNoAllocation(new UniformWithoutReplacementSelector(Capacity));

    [TestMethod]
    public void ImportanceWeightsDoNotAllocate()
    {
        var probabilities = new double[256];
        var weights = new double[256];
        new TestRandom(1).Fill(probabilities);
        for (int i = 0; i < probabilities.Length; i++)
        {
            probabilities[i] = 0.001 + (probabilities[i] * 0.9);
        }

        ImportanceWeights.Compute(probabilities, 1000, 0.4, weights);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 100; round++)
        {
            ImportanceWeights.Compute(probabilities, 1000, 0.4, weights);
        }

        Assert.AreEqual(0L, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static void AssertNoAllocation(IItemSelector selector, double priorityScale = 1)
    {
        var random = new TestRandom(42);
        var uniforms = new double[256];
        var slots = new int[256];
        var probabilities = new double[256];
        var held = new bool[Capacity];

        void Run(int operations)
        {
            for (int op = 0; op < operations; op++)
            {
                int slot = random.NextInt(Capacity);
                if (!held[slot])
                {
                    selector.Insert(slot, priorityScale * (1 + random.NextDouble()));
                    held[slot] = true;
                }
                else if (random.NextInt(2) == 0)
                {
                    selector.Update(slot, priorityScale * random.NextDouble());
                }
                else
                {
                    selector.Remove(slot);
                    held[slot] = false;
                }

                if (op % 16 == 0 && selector.Count > 0)
                {
                    random.Fill(uniforms);
                    selector.Select(uniforms, slots, probabilities);
                }
            }
        }

        Run(5000); // Warm-up: first calls may run one-time initialisation.
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(20_000);
        selector.Clear();
        Array.Clear(held);
        Run(2000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.AreEqual(0L, allocated, $"{selector.GetType().Name} allocated {allocated} bytes.");
    }
}
