using Gear.Core.Errors;
using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Tests.Support;

namespace Gear.Core.Tests.Tables;

[TestClass]
public sealed class TableLifecycleTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(50);

    [TestMethod]
    public void OpenTrajectoriesAreNotSampleableUntilClosed()
    {
        using var table = new TestTable(TestTable.Spec());
        var key = table.Open();
        table.AppendRandom(key, 5);
        using var batch = new WindowBatch(table.Columns, 4, 2);
        var error = Assert.ThrowsException<GearException>(() => table.Table.Sample(new SampleRequest(4, 2), new RandomStream(1), batch, Short));
        Assert.AreEqual(GearErrorCode.DeadlineExceeded, error.Code);

        table.Table.Close(key, 1.0);
        table.Table.Sample(new SampleRequest(4, 2), new RandomStream(1), batch, Short);
        Assert.AreEqual(4, batch.Count);
        CollectionAssert.AreEqual(new[] { key, key, key, key }, batch.Keys.ToArray());
        table.AssertBatchMatchesReference(batch);
    }

    [TestMethod]
    public void MemoryAccountingFollowsPagesWithoutPaddingToAMaximumLength()
    {
        using var table = new TestTable(TestTable.Spec(pageSteps: 4, pages: 16));
        var bytesPerPage = 4 * 13;
        var info = table.Table.GetInfo();
        Assert.AreEqual(0, info.BytesUsed);
        Assert.AreEqual(16, info.PagesFree);
        Assert.IsTrue(info.BytesReserved >= 16 * bytesPerPage);

        table.Insert(1);   // 1 page
        table.Insert(9);   // 3 pages
        var open = table.Open();
        table.AppendRandom(open, 4); // 1 page
        info = table.Table.GetInfo();
        Assert.AreEqual(5 * bytesPerPage, info.BytesUsed);
        Assert.AreEqual(11, info.PagesFree);
        Assert.AreEqual(14, info.StoredSteps);
        Assert.AreEqual(2, info.ClosedTrajectories);
        Assert.AreEqual(1, info.OpenTrajectories);

        table.Table.Abandon(open);
        Assert.AreEqual(12, table.Table.GetInfo().PagesFree);
        var error = Assert.ThrowsException<GearException>(() => table.AppendRandom(open, 1));
        Assert.AreEqual(GearErrorCode.NotFound, error.Code);
    }

    [TestMethod]
    public void StepItemKeysAreNeverReusedWhenTheirPagesAre()
    {
        // A page's step items share a generation, counted up when the page's next trajectory closes. Over many
        // evictions into the same 8 pages, no live item may carry the key of an item that is gone, every gone
        // key must be ignored and every live one applied. Trajectories of 6 steps leave their second page half
        // used, and a deleted item now and then sends its trajectory's eviction down the slot-by-slot path.
        using var table = new TestTable(TestTable.Spec(pageSteps: 4, pages: 8, granularity: ItemGranularity.Step));
        using var batch = new WindowBatch(table.Columns, 512, 1);
        var random = new RandomStream(3);
        var live = new HashSet<ulong>();
        var gone = new HashSet<ulong>();
        for (var round = 0; round < 40; round++)
        {
            table.Insert(6);
            // 512 uniform picks from at most 24 items miss one with probability under 1e-8.
            table.Table.Sample(new SampleRequest(512, 1, WindowPlacement.StartAnchored), random, batch, Short);
            var sampled = batch.Keys.ToArray().ToHashSet();
            Assert.AreEqual(table.Table.GetInfo().ItemCount, sampled.Count, $"round {round}: every live item was sampled");
            gone.UnionWith(live.Except(sampled));
            live = sampled;
            Assert.IsFalse(live.Overlaps(gone), $"round {round}: a live item has the key of a gone one");
            Assert.AreEqual(0, table.Table.UpdatePriorities(gone.ToArray(), Enumerable.Repeat(2.0, gone.Count).ToArray()).Applied);
            Assert.AreEqual(live.Count, table.Table.UpdatePriorities(live.ToArray(), Enumerable.Repeat(2.0, live.Count).ToArray()).Applied);
            if (round % 5 == 4)
            {
                var victim = live.First();
                Assert.AreEqual(1, table.Table.Delete([victim]).Applied);
                live.Remove(victim);
                gone.Add(victim);
            }
        }

        Assert.IsTrue(gone.Count > 200, "the pages were reused many times");
    }

    [TestMethod]
    public void FullTableEvictsWholeItemsInRemoverOrder()
    {
        // 8 pages of 4 steps; trajectories of 8 steps take 2 pages: four fit, the fifth evicts the oldest.
        using var table = new TestTable(TestTable.Spec(pageSteps: 4, pages: 8));
        var keys = Enumerable.Range(0, 4).Select(_ => table.Insert(8)).ToList();
        Assert.AreEqual(0, table.Table.GetInfo().PagesFree);

        keys.Add(table.Insert(8));
        var info = table.Table.GetInfo();
        Assert.AreEqual(4, info.ItemCount);
        Assert.AreEqual(1, info.ItemsEvicted);
        Assert.AreEqual(0, info.PagesFree);
        var result = table.Table.UpdatePriorities(keys.ToArray(), Enumerable.Repeat(2.0, 5).ToArray());
        Assert.AreEqual(new Gear.Core.Tables.KeyedResult(4, 1), result, "only the oldest was evicted");
        Assert.AreEqual(1, table.Table.GetInfo().IgnoredPriorityUpdates);

        // A long trajectory evicts as many whole items as it needs, and what remains is still exact.
        table.Insert(20);
        info = table.Table.GetInfo();
        Assert.AreEqual(2, info.ItemCount);
        using var batch = new WindowBatch(table.Columns, 16, 8);
        table.Table.Sample(new SampleRequest(16, 8), new RandomStream(2), batch, Short);
        table.AssertBatchMatchesReference(batch);
    }

    [TestMethod]
    public void StepItemTablesEvictTheWholeTrajectoryOfTheRemoversChoice()
    {
        using var table = new TestTable(TestTable.Spec(pageSteps: 2, pages: 6, granularity: ItemGranularity.Step));
        table.Insert(4);
        table.Insert(4);
        table.Insert(4);
        Assert.AreEqual(12, table.Table.GetInfo().ItemCount);
        table.Insert(3);
        var info = table.Table.GetInfo();
        Assert.AreEqual(4, info.ItemsEvicted, "the oldest trajectory's 4 step items");
        Assert.AreEqual(11, info.ItemCount);
        Assert.AreEqual(0, info.PagesFree);
    }

    [TestMethod]
    public void TrajectorySlotsRunOutOnlyWhenAllAreOpen()
    {
        using var table = new TestTable(TestTable.Spec(maxTrajectories: 2));
        table.Insert(2);
        table.Insert(2);
        table.Insert(2); // evicts the oldest closed trajectory for its slot
        Assert.AreEqual(2, table.Table.GetInfo().ItemCount);

        using var open = new TestTable(TestTable.Spec(maxTrajectories: 2));
        open.Open();
        open.Open();
        var before = open.Table.GetInfo();
        var error = Assert.ThrowsException<GearException>(() => open.Table.OpenTrajectory());
        Assert.AreEqual(GearErrorCode.ResourceExhausted, error.Code);
        StringAssert.Contains(error.Message, "max_trajectories");
        Assert.AreEqual(before, open.Table.GetInfo());
    }

    [TestMethod]
    public void PagesRunOutWhenOnlyOpenTrajectoriesHoldThem()
    {
        using var table = new TestTable(TestTable.Spec(pageSteps: 4, pages: 2));
        var key = table.Open();
        table.AppendRandom(key, 8);
        var before = table.Table.GetInfo();
        var error = Assert.ThrowsException<GearException>(() => table.AppendRandom(key, 1));
        Assert.AreEqual(GearErrorCode.ResourceExhausted, error.Code);
        StringAssert.Contains(error.Message, "host_capacity_bytes");
        Assert.AreEqual(before, table.Table.GetInfo());
        table.Table.Close(key, 1.0); // the trajectory is intact and still closable
        Assert.AreEqual(1, table.Table.GetInfo().ItemCount);
    }

    [TestMethod]
    public void MaxTimesSampledRetiresItemsAndAQueueHandsOutEachItemOnce()
    {
        var spec = TestTable.Spec(sampler: Gear.Core.Selection.SelectorKind.Fifo, maxTimesSampled: 1,
            rateLimiter: Gear.Core.RateLimiting.RateLimiterSpec.Queue(100));
        using var table = new TestTable(spec);
        var keys = Enumerable.Range(0, 6).Select(_ => table.Insert(2)).ToArray();
        using var batch = new WindowBatch(table.Columns, 4, 1);
        table.Table.Sample(new SampleRequest(4, 1), new RandomStream(1), batch, Short);
        CollectionAssert.AreEqual(keys[..4], batch.Keys.ToArray());
        table.Table.Sample(new SampleRequest(2, 1), new RandomStream(1), batch, Short);
        CollectionAssert.AreEqual(keys[4..], batch.Keys.ToArray());
        var info = table.Table.GetInfo();
        Assert.AreEqual(0, info.ItemCount);
        Assert.AreEqual(6, info.ItemsRetired);
        Assert.AreEqual(info.PagesTotal, info.PagesFree, "retired items free their pages");
        var error = Assert.ThrowsException<GearException>(() => table.Table.Sample(new SampleRequest(1, 1), new RandomStream(1), batch, Short));
        Assert.AreEqual(GearErrorCode.DeadlineExceeded, error.Code);
    }

    [TestMethod]
    public void DeleteAndResetEmptyTheTableAndCountUnknownKeys()
    {
        using var table = new TestTable(TestTable.Spec());
        var a = table.Insert(3);
        var b = table.Insert(3);
        Assert.AreEqual(new Gear.Core.Tables.KeyedResult(1, 1), table.Table.Delete([a, 999]));
        Assert.AreEqual(new Gear.Core.Tables.KeyedResult(0, 1), table.Table.Delete([a]));
        var info = table.Table.GetInfo();
        Assert.AreEqual(1, info.ItemCount);
        Assert.AreEqual(2, info.IgnoredDeletes);

        var open = table.Open();
        table.AppendRandom(open, 2);
        table.Table.Reset();
        info = table.Table.GetInfo();
        Assert.AreEqual(0, info.ItemCount);
        Assert.AreEqual(0, info.OpenTrajectories);
        Assert.AreEqual(info.PagesTotal, info.PagesFree);
        Assert.AreEqual(GearErrorCode.NotFound, Assert.ThrowsException<GearException>(() => table.AppendRandom(open, 1)).Code);
        Assert.AreEqual(new Gear.Core.Tables.KeyedResult(0, 1), table.Table.UpdatePriorities([b], [1.0]));
        table.Insert(2); // usable after reset
        Assert.AreEqual(1, table.Table.GetInfo().ItemCount);
    }

    [TestMethod]
    public void SameSeedSameStateSameSample()
    {
        var spec = TestTable.Spec(sampler: Gear.Core.Selection.SelectorKind.Prioritized, priorityExponent: 0.6);
        using var first = new TestTable(spec, seed: 5);
        using var second = new TestTable(spec, seed: 5);
        for (var i = 0; i < 20; i++)
        {
            first.Insert(3 + i % 7, priority: 1 + i);
            second.Insert(3 + i % 7, priority: 1 + i);
        }
        using var a = new WindowBatch(first.Columns, 32, 4);
        using var b = new WindowBatch(second.Columns, 32, 4);
        var request = new SampleRequest(32, 4, WindowPlacement.Uniform, 0.4);
        first.Table.Sample(request, new RandomStream(42), a, Short);
        second.Table.Sample(request, new RandomStream(42), b, Short);
        CollectionAssert.AreEqual(a.Keys.ToArray(), b.Keys.ToArray());
        CollectionAssert.AreEqual(a.StartSteps.ToArray(), b.StartSteps.ToArray());
        CollectionAssert.AreEqual(a.Column(0).ToArray(), b.Column(0).ToArray());
        CollectionAssert.AreEqual(a.ImportanceWeights.ToArray(), b.ImportanceWeights.ToArray());

        second.Table.Sample(request, new RandomStream(43), b, Short);
        CollectionAssert.AreNotEqual(a.Keys.ToArray().Concat(a.StartSteps.ToArray().Select(s => (ulong)s)).ToArray(),
            b.Keys.ToArray().Concat(b.StartSteps.ToArray().Select(s => (ulong)s)).ToArray());
    }

    [TestMethod]
    public void PrioritizedTableReportsExactProbabilitiesAndWeights()
    {
        using var table = new TestTable(TestTable.Spec(sampler: Gear.Core.Selection.SelectorKind.Prioritized, priorityExponent: 0.5));
        var priorities = new[] { 1.0, 4.0, 9.0, 16.0 };
        var keys = priorities.Select(p => table.Insert(2, p)).ToArray();
        var total = priorities.Sum(Math.Sqrt);
        using var batch = new WindowBatch(table.Columns, 64, 1);
        table.Table.Sample(new SampleRequest(64, 1, WindowPlacement.Uniform, 1.0), new RandomStream(9), batch, Short);
        var maxWeight = 0.0;
        for (var w = 0; w < batch.Count; w++)
            maxWeight = Math.Max(maxWeight, 1 / (4 * batch.Probabilities[w]));
        for (var w = 0; w < batch.Count; w++)
        {
            var p = priorities[Array.IndexOf(keys, batch.Keys[w])];
            Assert.AreEqual(Math.Sqrt(p) / total, batch.Probabilities[w], 1e-12);
            Assert.AreEqual(1 / (4 * batch.Probabilities[w]) / maxWeight, batch.ImportanceWeights[w], 1e-12);
        }

        // Raising one priority moves the distribution.
        table.Table.UpdatePriorities([keys[0]], [10_000.0]);
        table.Table.Sample(new SampleRequest(64, 1), new RandomStream(9), batch, Short);
        Assert.IsTrue(batch.Keys.ToArray().Count(k => k == keys[0]) > 40);
    }

    [TestMethod]
    public void PerStepPrioritiesApplyToStepItems()
    {
        using var table = new TestTable(TestTable.Spec(granularity: ItemGranularity.Step, sampler: Gear.Core.Selection.SelectorKind.MaxHeap));
        var key = table.Open();
        table.AppendRandom(key, 4);
        table.Table.Close(key, [1.0, 5.0, 3.0, 2.0], Timeout.InfiniteTimeSpan);
        using var batch = new WindowBatch(table.Columns, 1, 1);
        table.Table.Sample(new SampleRequest(1, 1, WindowPlacement.StartAnchored), new RandomStream(1), batch, Short);
        Assert.AreEqual(1, batch.StartSteps[0], "the step with the highest priority");
    }

    [TestMethod]
    public async Task AsyncCloseAndSampleWork()
    {
        using var table = new TestTable(TestTable.Spec());
        var key = table.Open();
        table.AppendRandom(key, 3);
        using var batch = new WindowBatch(table.Columns, 2, 3);
        var sample = table.Table.SampleAsync(new SampleRequest(2, 3), new RandomStream(1), batch, TimeSpan.FromSeconds(5));
        Assert.IsFalse(sample.IsCompleted, "nothing closed yet: the sample waits on the rate limiter");
        await table.Table.CloseAsync(key, new[] { 2.0 }, TimeSpan.FromSeconds(5));
        await sample;
        Assert.AreEqual(2, batch.Count);
        table.AssertBatchMatchesReference(batch);
    }

    [TestMethod]
    public void EverySelectorKindWorksAsSamplerAndRemover()
    {
        foreach (var kind in Enum.GetValues<Gear.Core.Selection.SelectorKind>())
        {
            // 8 pages of 4 steps: the tenth trajectory of 4 steps has to evict through the remover.
            using var table = new TestTable(TestTable.Spec(pageSteps: 4, pages: 8, sampler: kind, remover: kind));
            var keys = Enumerable.Range(0, 10).Select(i => table.Insert(4, priority: 1 + i % 3)).ToArray();
            var info = table.Table.GetInfo();
            Assert.AreEqual(8, info.ItemCount, $"{kind}");
            Assert.AreEqual(2, info.ItemsEvicted, $"{kind}");
            using var batch = new WindowBatch(table.Columns, 16, 2);
            table.Table.Sample(new SampleRequest(16, 2), new RandomStream(1), batch, Short);
            Assert.AreEqual(16, batch.Count, $"{kind}");
            table.AssertBatchMatchesReference(batch);
            var live = keys.Where(k => table.Table.UpdatePriorities([k], [1.0]).Applied == 1).ToHashSet();
            Assert.AreEqual(8, live.Count, $"{kind}");
            Assert.IsTrue(batch.Keys.ToArray().All(live.Contains), $"{kind}: sampled an evicted item");
        }
    }

    [TestMethod]
    public void SingleStepAppendsAndTypedColumnViews()
    {
        using var table = new TestTable(TestTable.Spec(columns: [new ColumnSpec("x", DType.F32, 2), new ColumnSpec("a", DType.I64)]));
        var key = table.Table.OpenTrajectory();
        for (var step = 0; step < 3; step++)
        {
            var x = new[] { step + 0.5f, -step };
            var a = new[] { 100L * step };
            table.Table.AppendStep(key, [System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()).ToArray(),
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()).ToArray()]);
        }
        table.Table.Close(key, 1.0);
        using var batch = new WindowBatch(table.Columns, 1, 3);
        table.Table.Sample(new SampleRequest(1, 3, WindowPlacement.StartAnchored), new RandomStream(1), batch, Short);
        CollectionAssert.AreEqual(new[] { 0.5f, 0f, 1.5f, -1f, 2.5f, -2f }, batch.Column<float>(0).ToArray());
        CollectionAssert.AreEqual(new[] { 0L, 100L, 200L }, batch.Column<long>(1).ToArray());
    }

    [TestMethod]
    public void ResetDuringABlockedCloseLeavesNoPhantomInsert()
    {
        using var table = new TestTable(TestTable.Spec(rateLimiter: Gear.Core.RateLimiting.RateLimiterSpec.Queue(1)));
        table.Insert(1);
        var key = table.Open();
        table.AppendRandom(key, 2);
        var close = Task.Run(() => table.Table.Close(key, [1.0], TimeSpan.FromSeconds(10)));
        SpinWait.SpinUntil(() => table.Table.GetInfo().RateLimiter.BlockedInserters == 1, TimeSpan.FromSeconds(5));

        table.Table.Reset();
        var error = Assert.ThrowsException<AggregateException>(() => close.Wait(TimeSpan.FromSeconds(5))).InnerException as GearException;
        Assert.IsNotNull(error);
        Assert.AreEqual(GearErrorCode.FailedPrecondition, error.Code);

        // The limiter and the table agree (no phantom item), and the table works as a fresh queue.
        var info = table.Table.GetInfo();
        Assert.AreEqual(0, info.ItemCount);
        Assert.AreEqual(0, info.RateLimiter.Size);
        var next = table.Insert(2);
        using var batch = new WindowBatch(table.Columns, 1, 1);
        table.Table.Sample(new SampleRequest(1, 1), new RandomStream(1), batch, Short);
        Assert.AreEqual(next, batch.Keys[0]);
    }
}
