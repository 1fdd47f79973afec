using Gear.Core.Errors;
using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Tests.Support;

namespace Gear.Core.Tests.Tables;

/// <summary>Every public entry point refuses bad input with a clear code and message, and leaves the table as it was.</summary>
[TestClass]
public sealed class TableBadInputTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(50);

    private static void AssertRefused(TestTable table, GearErrorCode code, string fragment, Action action)
    {
        var before = table.Table.GetInfo();
        var error = Assert.ThrowsException<GearException>(action);
        Assert.AreEqual(code, error.Code, error.Message);
        StringAssert.Contains(error.Message, fragment);
        Assert.AreEqual(before, table.Table.GetInfo(), "a refused request must leave the table unchanged");
    }

    [TestMethod]
    public void AppendRefusesWrongShapesCountsAndKeys()
    {
        using var table = new TestTable(TestTable.Spec());
        var closed = table.Insert(2);
        var open = table.Open();
        table.AppendRandom(open, 1);
        var good = table.RandomSteps(2, out _);

        AssertRefused(table, GearErrorCode.InvalidArgument, "2 columns", () => table.Table.Append(open, 2, good[..1]));
        AssertRefused(table, GearErrorCode.InvalidArgument, "column 'obs' got 12 bytes; 2 steps", () => table.Table.Append(open, 2, [good[0][..12], good[1]]));
        AssertRefused(table, GearErrorCode.InvalidArgument, "column 'done' got 2 bytes; 3 steps", () => table.Table.Append(open, 3, [new byte[36], good[1]]));
        AssertRefused(table, GearErrorCode.InvalidArgument, "step count 0", () => table.Table.Append(open, 0, [ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty]));
        AssertRefused(table, GearErrorCode.NotFound, "trajectory 12345", () => table.Table.Append(12345, 2, good));
        AssertRefused(table, GearErrorCode.FailedPrecondition, "closed", () => table.Table.Append(closed, 2, good));

        // The open trajectory is intact: one more good append and a close work, and the data is exact.
        table.AppendRandom(open, 2);
        table.Table.Close(open, 1.0);
        using var batch = new WindowBatch(table.Columns, 8, 3);
        table.Table.Sample(new SampleRequest(8, 3, WindowPlacement.StartAnchored), new RandomStream(1), batch, Short);
        table.AssertBatchMatchesReference(batch);
    }

    /// <summary>
    /// An append that could never fit, however much were evicted, is refused before anything is evicted: the
    /// closed trajectories stay, and the trajectory appended to keeps its steps.
    /// </summary>
    [TestMethod]
    public void AnAppendLargerThanTheTableEvictsNothing()
    {
        using var table = new TestTable(TestTable.Spec(pageSteps: 4, pages: 16));
        table.Insert(8);
        table.Insert(8);
        var open = table.Open();
        table.AppendRandom(open, 10);
        AssertRefused(table, GearErrorCode.ResourceExhausted, "16 pages", () => table.Table.Append(open, 60, table.RandomSteps(60, out _)));
        table.Table.Append(open, 2, table.RandomSteps(2, out _)); // still open, and appendable
    }

    /// <summary>
    /// An append that could only fit in pages other open trajectories hold is refused before anything is evicted;
    /// once those trajectories end, the same append fits (evicting the closed ones).
    /// </summary>
    [TestMethod]
    public void AnAppendThatOtherOpenTrajectoriesLeaveNoRoomForEvictsNothing()
    {
        using var table = new TestTable(TestTable.Spec(pageSteps: 4, pages: 16));
        table.Insert(4);
        table.Insert(4);
        var hog = table.Open();
        table.AppendRandom(hog, 40); // 10 pages
        var closing = table.Open();
        table.AppendRandom(closing, 8); // 2 pages, and closed below: its pages become evictable
        var open = table.Open();
        AssertRefused(table, GearErrorCode.ResourceExhausted, "other open trajectories hold 12",
            () => table.Table.Append(open, 20, table.RandomSteps(20, out _)));

        table.Table.Close(closing, 1.0);
        AssertRefused(table, GearErrorCode.ResourceExhausted, "other open trajectories hold 10",
            () => table.Table.Append(open, 28, table.RandomSteps(28, out _)));
        table.Table.Append(open, 20, table.RandomSteps(20, out _)); // 5 pages: 2 free, 3 by evicting all three closed ones
        Assert.AreEqual(0, table.Table.GetInfo().ClosedTrajectories);

        table.Table.Abandon(hog);
        table.Table.Append(open, 40, table.RandomSteps(40, out _)); // 15 pages: the hog's are free now
    }

    [TestMethod]
    public void CloseRefusesBadPrioritiesAndStates()
    {
        using var table = new TestTable(TestTable.Spec());
        var open = table.Open();
        table.AppendRandom(open, 2);
        var empty = table.Open();
        var closed = table.Insert(1);

        foreach (var bad in new[] { double.NaN, -1.0, double.PositiveInfinity, double.NegativeInfinity })
            AssertRefused(table, GearErrorCode.InvalidArgument, "priorities must be finite and not negative", () => table.Table.Close(open, bad));
        AssertRefused(table, GearErrorCode.InvalidArgument, "give one priority, not 2", () => table.Table.Close(open, [1.0, 2.0], Short));
        AssertRefused(table, GearErrorCode.FailedPrecondition, "no steps", () => table.Table.Close(empty, 1.0));
        AssertRefused(table, GearErrorCode.FailedPrecondition, "closed", () => table.Table.Close(closed, 1.0));
        AssertRefused(table, GearErrorCode.NotFound, "trajectory 777", () => table.Table.Close(777, 1.0));
        AssertRefused(table, GearErrorCode.FailedPrecondition, "closed", () => table.Table.Abandon(closed));
        AssertRefused(table, GearErrorCode.NotFound, "trajectory 778", () => table.Table.Abandon(778));
    }

    [TestMethod]
    public void StepItemsNeedOnePriorityOrOnePerStep()
    {
        using var table = new TestTable(TestTable.Spec(granularity: ItemGranularity.Step));
        var open = table.Open();
        table.AppendRandom(open, 3);
        AssertRefused(table, GearErrorCode.InvalidArgument, "has 3 steps", () => table.Table.Close(open, [1.0, 2.0], Short));
        AssertRefused(table, GearErrorCode.InvalidArgument, "priorities[1]", () => table.Table.Close(open, [1.0, double.NaN, 1.0], Short));
        AssertRefused(table, GearErrorCode.InvalidArgument, "placement uniform applies to trajectory items", () =>
        {
            using var batch = new WindowBatch(table.Columns, 1, 1);
            table.Table.Sample(new SampleRequest(1, 1, WindowPlacement.Uniform), new RandomStream(1), batch, Short);
        });
    }

    [TestMethod]
    public void PriorityUpdatesAreValidatedBeforeAnyIsApplied()
    {
        using var table = new TestTable(TestTable.Spec(sampler: Gear.Core.Selection.SelectorKind.MaxHeap));
        var a = table.Insert(1, priority: 1);
        var b = table.Insert(1, priority: 2);
        AssertRefused(table, GearErrorCode.InvalidArgument, "priorities[1] (key", () => table.Table.UpdatePriorities([a, b], [100.0, double.NaN]));
        AssertRefused(table, GearErrorCode.InvalidArgument, "2 keys but 1 priorities", () => table.Table.UpdatePriorities([a, b], [100.0]));
        using var batch = new WindowBatch(table.Columns, 1, 1);
        table.Table.Sample(new SampleRequest(1, 1), new RandomStream(1), batch, Short);
        Assert.AreEqual(b, batch.Keys[0], "a's priority was not raised by the refused batch");
    }

    [TestMethod]
    public void SampleRefusesImpossibleRequests()
    {
        using var table = new TestTable(TestTable.Spec());
        table.Insert(3);
        using var batch = new WindowBatch(table.Columns, 4, 2);
        using var other = new WindowBatch([new ColumnSpec("x", DType.F64)], 4, 2);
        var random = new RandomStream(1);
        AssertRefused(table, GearErrorCode.InvalidArgument, "batch_size 0", () => table.Table.Sample(new SampleRequest(0, 2), random, batch, Short));
        AssertRefused(table, GearErrorCode.InvalidArgument, "window_length 0", () => table.Table.Sample(new SampleRequest(4, 0), random, batch, Short));
        AssertRefused(table, GearErrorCode.InvalidArgument, "exceeds the output batch", () => table.Table.Sample(new SampleRequest(5, 2), random, batch, Short));
        AssertRefused(table, GearErrorCode.InvalidArgument, "differs from the output batch", () => table.Table.Sample(new SampleRequest(4, 3), random, batch, Short));
        AssertRefused(table, GearErrorCode.InvalidArgument, "columns do not match", () => table.Table.Sample(new SampleRequest(4, 2), random, other, Short));
        AssertRefused(table, GearErrorCode.InvalidArgument, "importance_exponent", () => table.Table.Sample(new SampleRequest(4, 2, ImportanceExponent: -1), random, batch, Short));
        AssertRefused(table, GearErrorCode.InvalidArgument, "placement 9", () => table.Table.Sample(new SampleRequest(4, 2, (WindowPlacement)9), random, batch, Short));
    }

    [TestMethod]
    public void ADisposedOutputBatchIsRefusedBeforeAnythingIsChosen()
    {
        using var table = new TestTable(TestTable.Spec(maxTimesSampled: 1));
        table.Insert(3);
        var batch = new WindowBatch(table.Columns, 3, 2);
        batch.Dispose();
        var before = table.Table.GetInfo();
        Assert.ThrowsException<ObjectDisposedException>(() => table.Table.Sample(new SampleRequest(3, 2), new RandomStream(1), batch, Short));
        Assert.AreEqual(before, table.Table.GetInfo(), "no window counted and no item retired by max_times_sampled");
    }

    [TestMethod]
    public void DisposedTableSaysSo()
    {
        var table = new TestTable(TestTable.Spec());
        table.Dispose();
        var error = Assert.ThrowsException<GearException>(() => table.Table.OpenTrajectory());
        Assert.AreEqual(GearErrorCode.Unavailable, error.Code);
    }

    [TestMethod]
    public void CancelledAndTimedOutWaitsLeaveTheTableAsItWas()
    {
        using var table = new TestTable(TestTable.Spec(rateLimiter: Gear.Core.RateLimiting.RateLimiterSpec.MinSize(3)));
        table.Insert(2);
        using var batch = new WindowBatch(table.Columns, 2, 1);
        var before = table.Table.GetInfo();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsException<OperationCanceledException>(() =>
            table.Table.Sample(new SampleRequest(2, 1), new RandomStream(1), batch, Timeout.InfiniteTimeSpan, cancelled.Token));
        Assert.AreEqual(before, table.Table.GetInfo());

        // A close that the limiter blocks past its deadline leaves the trajectory open and closable later.
        using var queue = new TestTable(TestTable.Spec(rateLimiter: Gear.Core.RateLimiting.RateLimiterSpec.Queue(1)));
        queue.Insert(1);
        var key = queue.Open();
        queue.AppendRandom(key, 2);
        var error = Assert.ThrowsException<GearException>(() => queue.Table.Close(key, [1.0], TimeSpan.FromMilliseconds(30)));
        Assert.AreEqual(GearErrorCode.DeadlineExceeded, error.Code);
        Assert.AreEqual(1, queue.Table.GetInfo().OpenTrajectories);
        using var one = new WindowBatch(queue.Columns, 1, 1);
        queue.Table.Sample(new SampleRequest(1, 1), new RandomStream(1), one, Short);
        queue.Table.Close(key, [1.0], Short);
        Assert.AreEqual(2, queue.Table.GetInfo().ItemCount);
    }

    [TestMethod]
    public void ConstructorsRefuseBadGeometryAndSpecs()
    {
        var columns = TestTable.Spec().Columns;
        Assert.AreEqual(GearErrorCode.InvalidArgument, Assert.ThrowsException<GearException>(() => new WindowBatch(columns, 0, 1)).Code);
        Assert.AreEqual(GearErrorCode.InvalidArgument, Assert.ThrowsException<GearException>(() => new WindowBatch(columns, 1, 0)).Code);
        StringAssert.Contains(Assert.ThrowsException<GearException>(() => new WindowBatch(columns, 1 << 20, 1 << 12)).Message, "bytes for column 'obs'");
        using var backend = new Gear.Core.Compute.Cpu.CpuBackend();
        var bad = new TableSpec { Name = "t", Columns = columns, HostCapacityBytes = 1, MaxTrajectories = 1 };
        StringAssert.Contains(Assert.ThrowsException<GearException>(() => new Gear.Core.Tables.Table(bad, backend)).Message, "cannot hold one page");
    }

    [TestMethod]
    public void PrioritiesWhosePowerWouldOverflowAreRefusedUpFront()
    {
        using var table = new TestTable(TestTable.Spec(granularity: ItemGranularity.Step, sampler: Gear.Core.Selection.SelectorKind.Prioritized, priorityExponent: 2));
        var key = table.Open();
        table.AppendRandom(key, 3);
        AssertRefused(table, GearErrorCode.InvalidArgument, "may be at most", () => table.Table.Close(key, [1.0, 1e200, 1.0], Short));
        table.Table.Close(key, [1.0, 1e150, 1.0], Short);
        using var batch = new WindowBatch(table.Columns, 1, 1);
        table.Table.Sample(new SampleRequest(1, 1, WindowPlacement.StartAnchored), new RandomStream(1), batch, Short);
        Assert.AreEqual(1, batch.StartSteps[0], "1e150 squared dominates the others");
        AssertRefused(table, GearErrorCode.InvalidArgument, "may be at most", () => table.Table.UpdatePriorities([batch.Keys[0]], [1e155]));
    }
}
