using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Tests.Support;

namespace Gear.Core.Tests.Tables;

/// <summary>Gathered windows equal a naive reference for every placement, padding mode and dtype, across pages.</summary>
[TestClass]
public sealed class GatherExactnessTests
{
    private static readonly ColumnSpec[] EveryDType =
        DTypes.All.Select((d, i) => new ColumnSpec($"c_{d.Name()}", d, i % 3 == 0 ? [] : [i % 3 + 1, 2])).ToArray();

    [TestMethod]
    [DataRow(WindowPlacement.Uniform, PaddingSide.Tail)]
    [DataRow(WindowPlacement.Uniform, PaddingSide.Head)]
    [DataRow(WindowPlacement.StartAnchored, PaddingSide.Tail)]
    [DataRow(WindowPlacement.EndAnchored, PaddingSide.Tail)]
    public void TrajectoryItemWindowsEqualReference(WindowPlacement placement, PaddingSide padding)
    {
        // Page of 4 steps; trajectories of 1..13 steps; windows of 1, 4, 6 and 20 steps cross page edges and
        // run past both ends of short trajectories.
        using var table = new TestTable(TestTable.Spec(columns: EveryDType, pageSteps: 4, pages: 128));
        for (var length = 1; length <= 13; length++)
            table.Insert(length, chunk: length % 5 + 1);

        foreach (var windowLength in new[] { 1, 4, 6, 20 })
        {
            using var batch = new WindowBatch(table.Columns, 32, windowLength);
            var random = new RandomStream((ulong)windowLength);
            for (var round = 0; round < 8; round++)
            {
                table.Table.Sample(new SampleRequest(32, windowLength, placement, 0, padding), random, batch, TimeSpan.FromSeconds(5));
                Assert.AreEqual(32, batch.Count);
                table.AssertBatchMatchesReference(batch);
                AssertPlacement(table, batch, placement, padding);
            }
        }
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(7)]
    [DataRow(64)]
    public void StepsAppendedFromSegmentedBuffersGatherAsTheyWereSent(int segmentBytes)
    {
        // Segments of 1, 7 and 64 bytes end inside steps, at step edges and across page edges (pages of 4 steps),
        // so a page run is filled from the ends and starts of several segments.
        using var table = new TestTable(TestTable.Spec(columns: EveryDType, pageSteps: 4, pages: 128));
        for (var length = 1; length <= 13; length++)
            table.Insert(length, chunk: length % 6 + 1, segmentBytes: segmentBytes);

        using var batch = new WindowBatch(table.Columns, 32, 6);
        var random = new RandomStream(5);
        for (var round = 0; round < 8; round++)
        {
            table.Table.Sample(new SampleRequest(32, 6, WindowPlacement.Uniform), random, batch, TimeSpan.FromSeconds(5));
            table.AssertBatchMatchesReference(batch);
        }
    }

    [TestMethod]
    [DataRow(WindowPlacement.StartAnchored)]
    [DataRow(WindowPlacement.EndAnchored)]
    public void StepItemWindowsEqualReference(WindowPlacement placement)
    {
        using var table = new TestTable(TestTable.Spec(columns: EveryDType, pageSteps: 2, pages: 256, granularity: ItemGranularity.Step));
        for (var length = 1; length <= 9; length++)
            table.Insert(length, chunk: 4);

        foreach (var windowLength in new[] { 1, 3, 5 })
        {
            using var batch = new WindowBatch(table.Columns, 64, windowLength);
            var random = new RandomStream(7);
            for (var round = 0; round < 6; round++)
            {
                table.Table.Sample(new SampleRequest(64, windowLength, placement), random, batch, TimeSpan.FromSeconds(5));
                table.AssertBatchMatchesReference(batch);
                for (var w = 0; w < batch.Count; w++)
                {
                    // The window starts (or ends) at the chosen step, which lies inside the trajectory.
                    var chosen = placement == WindowPlacement.StartAnchored ? batch.StartSteps[w] : batch.StartSteps[w] + windowLength - 1;
                    Assert.IsTrue(chosen >= 0 && chosen < table.StepsOf(batch.TrajectoryKeys[w]).Count);
                }
            }
        }
    }

    [TestMethod]
    public void EveryStepItemIsReachableAndKeysAreDistinct()
    {
        using var table = new TestTable(TestTable.Spec(pageSteps: 2, pages: 64, granularity: ItemGranularity.Step));
        table.Insert(5);
        table.Insert(3);
        using var batch = new WindowBatch(table.Columns, 256, 1);
        table.Table.Sample(new SampleRequest(256, 1, WindowPlacement.StartAnchored), new RandomStream(3), batch, TimeSpan.FromSeconds(5));
        var seen = new HashSet<(ulong, int)>();
        var keyOf = new Dictionary<(ulong, int), ulong>();
        for (var w = 0; w < batch.Count; w++)
        {
            var at = (batch.TrajectoryKeys[w], batch.StartSteps[w]);
            seen.Add(at);
            if (keyOf.TryGetValue(at, out var key))
                Assert.AreEqual(key, batch.Keys[w], "one step, one item key");
            keyOf[at] = batch.Keys[w];
        }
        Assert.AreEqual(8, seen.Count, "all 8 steps sampled by 256 uniform draws");
        Assert.AreEqual(8, keyOf.Values.Distinct().Count());
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    public void LargeWindowsCopiedInChunksEqualReference(int windowLength)
    {
        // Windows of 8 KiB and more are copied 4 KiB at a time while the next window's lines are requested; a
        // 9,001-byte step leaves a short last chunk, and 3-step windows in 4-step pages mix whole windows with
        // page-crossing and padded ones, so the next window is sometimes not a whole one.
        var columns = new[] { new ColumnSpec("frame", DType.U8, 9001), new ColumnSpec("done", DType.Bool) };
        using var table = new TestTable(TestTable.Spec(columns: columns, pageSteps: 4, pages: 64));
        for (var i = 0; i < 12; i++)
            table.Insert(2 + i * 3 % 11, chunk: 5);
        using var batch = new WindowBatch(columns, 48, windowLength);
        table.Table.Sample(new SampleRequest(48, windowLength, WindowPlacement.Uniform), new RandomStream(5), batch, TimeSpan.FromSeconds(5));
        table.AssertBatchMatchesReference(batch);
    }

    [TestMethod]
    public void ParallelGatherEqualsReference()
    {
        // Large enough to cross the parallel threshold: 64 windows × 64 steps × 1 KiB.
        var columns = new[] { new ColumnSpec("x", DType.F32, 256) };
        using var table = new TestTable(TestTable.Spec(columns: columns, pageSteps: 16, pages: 256), gatherThreads: 2);
        for (var i = 0; i < 20; i++)
            table.Insert(100 + i * 7, chunk: 33);
        using var batch = new WindowBatch(columns, 64, 64);
        table.Table.Sample(new SampleRequest(64, 64, WindowPlacement.Uniform), new RandomStream(11), batch, TimeSpan.FromSeconds(5));
        table.AssertBatchMatchesReference(batch);
    }

    private static void AssertPlacement(TestTable table, WindowBatch batch, WindowPlacement placement, PaddingSide padding)
    {
        var windowLength = batch.WindowLength;
        for (var w = 0; w < batch.Count; w++)
        {
            var length = table.StepsOf(batch.TrajectoryKeys[w]).Count;
            var start = batch.StartSteps[w];
            switch (placement)
            {
                case WindowPlacement.StartAnchored:
                    Assert.AreEqual(0, start);
                    break;
                case WindowPlacement.EndAnchored:
                    Assert.AreEqual(length - windowLength, start);
                    break;
                case WindowPlacement.Uniform when length >= windowLength:
                    Assert.IsTrue(start >= 0 && start + windowLength <= length, $"start {start} of a {windowLength}-step window in {length} steps");
                    break;
                default:
                    Assert.AreEqual(padding == PaddingSide.Head ? length - windowLength : 0, start);
                    break;
            }
        }
    }
}
