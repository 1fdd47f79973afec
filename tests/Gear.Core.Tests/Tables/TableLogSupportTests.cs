using Gear.Core.Errors;
using Gear.Core.RateLimiting;
using Gear.Core.Tables;
using Gear.Core.Tests.Support;

namespace Gear.Core.Tests.Tables;

/// <summary>What a write-ahead log relies on in a table: mutation numbers, reading an open trajectory, recovered commits.</summary>
[TestClass]
public sealed class TableLogSupportTests
{
    [TestMethod]
    public void CommitsDeletesAndResetsTakeConsecutiveSequenceNumbers()
    {
        using var source = new TestTable(TestTable.Spec());
        var table = source.Table;
        Assert.AreEqual(0, table.LogSequence);
        var first = source.Open();
        source.AppendRandom(first, 5);
        Assert.AreEqual(0, table.LogSequence, "appends are not logged mutations");
        Assert.AreEqual(1, table.Close(first, 1.0));
        var second = source.Insert(3);
        Assert.AreEqual(2, table.LogSequence);
        table.Delete([second, 999], out var deleteSequence);
        Assert.AreEqual(3, deleteSequence);
        Assert.AreEqual(4, table.Reset());
        Assert.AreEqual(4, table.LogSequence);
    }

    [TestMethod]
    public void SnapshotsCarryTheSequence()
    {
        using var source = new TestTable(TestTable.Spec());
        source.Insert(4);
        source.Insert(2);
        source.Table.Reset();
        source.Insert(3);
        var bytes = new MemoryStream();
        source.Table.WriteSnapshot(bytes);
        bytes.Position = 0;
        using var restored = Table.ReadSnapshot(bytes, source.Backend);
        Assert.AreEqual(4, restored.LogSequence);
        bytes.Position = 0;
        Assert.AreEqual(4, TableSnapshot.ReadHeaderOnly(bytes).LogSequence);
    }

    [TestMethod]
    public void CopyOpenStepsGivesTheAppendedBytesColumnAfterColumn()
    {
        using var source = new TestTable(TestTable.Spec(pageSteps: 4));
        var key = source.Open();
        source.AppendRandom(key, 10, chunk: 3); // spans three pages
        var table = source.Table;
        Assert.AreEqual(10, table.OpenLength(key));
        var columns = source.Columns;
        var bytes = new byte[columns.Sum(c => c.StepBytes) * 10];
        table.CopyOpenSteps(key, 10, bytes);
        var expected = Enumerable.Range(0, columns.Count)
            .SelectMany(c => source.StepsOf(key).SelectMany(step => step[c]))
            .ToArray();
        CollectionAssert.AreEqual(expected, bytes);

        Assert.ThrowsException<GearException>(() => table.CopyOpenSteps(key, 11, new byte[bytes.Length * 2]), "longer than the trajectory");
        Assert.ThrowsException<GearException>(() => table.CopyOpenSteps(key, 10, new byte[bytes.Length - 1]), "destination too small");
        table.Close(key, 1.0);
        Assert.ThrowsException<GearException>(() => table.OpenLength(key), "closed trajectories are not open");
    }

    [TestMethod]
    public void RecoveredCommitsPassARateLimiterThatWouldBlockThem()
    {
        // A queue of 2: a third insert would wait for a sample.
        using var source = new TestTable(TestTable.Spec(rateLimiter: RateLimiterSpec.Queue(2)));
        var table = source.Table;
        source.Insert(2);
        source.Insert(2);
        Assert.IsFalse(table.GetInfo().RateLimiter.CanInsertOne);
        var steps = source.RandomSteps(3, out _);
        var key = table.CommitRecovered(3, steps, [2.5], logSequence: 17);
        var info = table.GetInfo();
        Assert.AreEqual(3, info.ItemCount, "the recovered commit is stored without waiting");
        Assert.AreEqual(3, info.RateLimiter.Inserts, "and counted by the limiter");
        Assert.AreEqual(17, table.LogSequence);
        Assert.AreNotEqual(0UL, key);

        Assert.ThrowsException<GearException>(() => table.CommitRecovered(3, steps, [double.NaN], 18));
        Assert.AreEqual(3, table.GetInfo().ItemCount);
        Assert.AreEqual(0, table.GetInfo().OpenTrajectories, "a refused recovered commit leaves no open trajectory behind");
    }
}
