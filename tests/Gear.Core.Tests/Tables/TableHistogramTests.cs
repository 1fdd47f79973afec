using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Selection;
using Gear.Core.Tests.Support;

namespace Gear.Core.Tests.Tables;

[TestClass]
public sealed class TableHistogramTests
{
    [TestMethod]
    public void TimesSampledFallsIntoPowerOfTwoBuckets()
    {
        // Fifo sampling picks the oldest item every time, so the counts per item are known exactly.
        using var table = new TestTable(TestTable.Spec(sampler: SelectorKind.Fifo, maxTrajectories: 16));
        for (var i = 0; i < 4; i++)
            table.Insert(2);
        using var batch = new WindowBatch(table.Columns, 5, 1);
        table.Table.Sample(new SampleRequest(5, 1), new RandomStream(1), batch, TimeSpan.FromSeconds(5));

        Span<long> buckets = stackalloc long[4];
        var counted = table.Table.TimesSampledHistogram(buckets);

        // The oldest item was sampled 5 times (bucket 3: 4..7); the other three never (bucket 0).
        Assert.AreEqual(4, counted);
        CollectionAssert.AreEqual(new long[] { 3, 0, 0, 1 }, buckets.ToArray());
    }

    [TestMethod]
    public void TimesSampledLastBucketTakesEverythingBeyond()
    {
        using var table = new TestTable(TestTable.Spec(sampler: SelectorKind.Fifo));
        table.Insert(2);
        using var batch = new WindowBatch(table.Columns, 9, 1);
        table.Table.Sample(new SampleRequest(9, 1), new RandomStream(1), batch, TimeSpan.FromSeconds(5));

        Span<long> buckets = stackalloc long[2];
        buckets.Fill(42); // stale values must be cleared
        Assert.AreEqual(1, table.Table.TimesSampledHistogram(buckets));
        CollectionAssert.AreEqual(new long[] { 0, 1 }, buckets.ToArray());
    }

    [TestMethod]
    public void PrioritiesFallIntoLogBuckets()
    {
        using var table = new TestTable(TestTable.Spec(sampler: SelectorKind.Prioritized, priorityExponent: 0.6));
        foreach (var priority in new[] { 0.0, 0.3, 1.0, 1.5, 3.0, 1000.0 })
            table.Insert(2, priority);

        // Bucket 0: < 2^-2; 1: [0.25, 0.5); 2: [0.5, 1); 3: [1, 2); 4: [2, 4); 5: 4 and beyond.
        Span<long> buckets = stackalloc long[6];
        Assert.IsTrue(table.Table.PriorityHistogram(buckets, lowestExponent: -2));
        CollectionAssert.AreEqual(new long[] { 1, 1, 0, 2, 1, 1 }, buckets.ToArray());
    }

    [TestMethod]
    public void PrioritiesFollowUpdatesAndComeFromAHeapRemover()
    {
        using var table = new TestTable(TestTable.Spec(sampler: SelectorKind.Uniform, remover: SelectorKind.MinHeap));
        var key = table.Insert(2, priority: 1);
        table.Insert(2, priority: 1);
        table.Table.UpdatePriorities([key], [8.0]);

        Span<long> buckets = stackalloc long[5];
        Assert.IsTrue(table.Table.PriorityHistogram(buckets, lowestExponent: 0));
        // Bucket 1: [1, 2); bucket 4: [8, 16).
        CollectionAssert.AreEqual(new long[] { 0, 1, 0, 0, 1 }, buckets.ToArray());
    }

    [TestMethod]
    public void PrioritiesAreUnknownWhenNoSelectorKeepsThem()
    {
        using var table = new TestTable(TestTable.Spec(sampler: SelectorKind.Uniform, remover: SelectorKind.Fifo));
        table.Insert(2, priority: 3);
        Span<long> buckets = stackalloc long[3];
        Assert.IsFalse(table.Table.PriorityHistogram(buckets, lowestExponent: 0));
        CollectionAssert.AreEqual(new long[3], buckets.ToArray());
    }

    [TestMethod]
    public void StepItemsAreCountedOncePerStep()
    {
        using var table = new TestTable(TestTable.Spec(granularity: ItemGranularity.Step, sampler: SelectorKind.MaxHeap));
        table.Insert(5, priority: 2);
        Span<long> times = stackalloc long[3];
        Assert.AreEqual(5, table.Table.TimesSampledHistogram(times));
        Span<long> priorities = stackalloc long[3];
        Assert.IsTrue(table.Table.PriorityHistogram(priorities, lowestExponent: 0));
        CollectionAssert.AreEqual(new long[] { 0, 0, 5 }, priorities.ToArray());
    }
}
