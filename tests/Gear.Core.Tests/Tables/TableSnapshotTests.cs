using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Selection;
using Gear.Core.Tables;
using Gear.Core.Tests.Support;

namespace Gear.Core.Tests.Tables;

[TestClass]
public sealed class TableSnapshotTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [TestMethod]
    [DataRow(ItemGranularity.Trajectory, SelectorKind.Prioritized, SelectorKind.Fifo, 3)]
    [DataRow(ItemGranularity.Trajectory, SelectorKind.UniformWithoutReplacement, SelectorKind.MinHeap, 0)]
    [DataRow(ItemGranularity.Step, SelectorKind.Prioritized, SelectorKind.Lifo, 0)]
    [DataRow(ItemGranularity.Step, SelectorKind.Uniform, SelectorKind.Prioritized, 2)]
    [DataRow(ItemGranularity.Trajectory, SelectorKind.MaxHeap, SelectorKind.Uniform, 0)]
    public void SnapshotRoundTripRestoresKeysDataPrioritiesCountersAndSelection(ItemGranularity granularity, SelectorKind sampler, SelectorKind remover, int maxTimesSampled)
    {
        using var source = new TestTable(TestTable.Spec(pages: 32, granularity: granularity, sampler: sampler, remover: remover,
            maxTimesSampled: maxTimesSampled, priorityExponent: 0.7));
        var table = source.Table;
        var keys = new List<ulong>();
        var random = new Random(7);
        for (var i = 0; i < 14; i++)
            keys.Add(source.Insert(random.Next(1, 13), priority: 0.5 + random.NextDouble() * 3));
        var placement = granularity == ItemGranularity.Step ? WindowPlacement.StartAnchored : WindowPlacement.Uniform;
        var request = new SampleRequest(6, 3, placement);
        using (var batch = new WindowBatch(source.Columns, 6, 3))
        {
            for (var i = 0; i < 3; i++)
                table.Sample(request, new RandomStream((ulong)i), batch, Wait);
            var sampled = batch.Keys.ToArray();
            table.UpdatePriorities(sampled, sampled.Select((_, i) => 0.25 + i).ToArray());
            table.Delete([sampled[0], 12345]);
        }
        for (var i = 0; i < 6; i++)
            keys.Add(source.Insert(random.Next(4, 13), priority: 1 + i)); // evicts
        var before = table.GetInfo();
        Assert.IsTrue(before.ItemsEvicted > 0, "the scenario evicts");
        Assert.IsTrue(before.ItemsDeleted + before.IgnoredDeletes == 2, "the scenario deletes");

        var bytes = Snapshot(table);
        using var restored = Table.ReadSnapshot(new MemoryStream(bytes), source.Backend);
        Assert.AreEqual(before, restored.GetInfo());

        using var left = new WindowBatch(source.Columns, 4, 3);
        using var right = new WindowBatch(source.Columns, 4, 3);
        for (var round = 0; round < 3; round++)
        {
            var big = new SampleRequest(4, 3, placement);
            table.Sample(big, new RandomStream(100 + (ulong)round), left, Wait);
            restored.Sample(big, new RandomStream(100 + (ulong)round), right, Wait);
            Assert.AreEqual(left.Count, right.Count);
            CollectionAssert.AreEqual(left.Keys.ToArray(), right.Keys.ToArray(), $"round {round}: same keys");
            CollectionAssert.AreEqual(left.StartSteps.ToArray(), right.StartSteps.ToArray());
            CollectionAssert.AreEqual(left.Probabilities.ToArray(), right.Probabilities.ToArray(), "same probabilities");
            for (var c = 0; c < source.Columns.Count; c++)
                CollectionAssert.AreEqual(left.Column(c).ToArray(), right.Column(c).ToArray(), $"round {round}: same bytes");
            source.AssertBatchMatchesReference(right);
        }
        // Times sampled (retirement) and counters moved alike.
        Assert.AreEqual(table.GetInfo(), restored.GetInfo());

        // Keys stay valid: updates and deletes by the original keys apply to the same items.
        var all = keys.ToArray();
        var priorities = all.Select((_, i) => 1.0 + i).ToArray();
        Assert.AreEqual(table.UpdatePriorities(all, priorities), restored.UpdatePriorities(all, priorities));
        // Evictions continue in the same order (remover state and random stream).
        var next = source.Insert(9);
        using var again = Table.ReadSnapshot(new MemoryStream(Snapshot(table)), source.Backend);
        Assert.AreEqual(table.GetInfo(), again.GetInfo());
        Assert.AreEqual(table.Delete([next]), again.Delete([next]));
    }

    [TestMethod]
    public void SnapshotLeavesOutOpenTrajectoriesAndKeepsTheirSlotsFree()
    {
        using var source = new TestTable(TestTable.Spec(pages: 16));
        var closed = source.Insert(5);
        var open = source.Open();
        source.AppendRandom(open, 6);
        using var restored = Table.ReadSnapshot(new MemoryStream(Snapshot(source.Table)), source.Backend);
        var info = restored.GetInfo();
        Assert.AreEqual(0, info.OpenTrajectories);
        Assert.AreEqual(1, info.ClosedTrajectories);
        Assert.AreEqual(5, info.StoredSteps);
        Assert.AreEqual(14, info.PagesFree);
        Assert.AreEqual(new KeyedResult(1, 0), restored.UpdatePriorities([closed], [2.0]));
        var reopened = restored.OpenTrajectory();
        Assert.AreNotEqual(open, reopened, "a new trajectory never reuses a key");
    }

    [TestMethod]
    public void TruncatedSnapshotIsRefused()
    {
        using var source = new TestTable(TestTable.Spec(pages: 16));
        source.Insert(7);
        var bytes = Snapshot(source.Table);
        foreach (var length in new[] { 0, 10, bytes.Length / 2, bytes.Length - 1 })
        {
            var error = Assert.ThrowsException<InvalidDataException>(
                () => Table.ReadSnapshot(new MemoryStream(bytes[..length]), source.Backend), $"length {length}");
            StringAssert.Contains(error.Message, "truncated", "length " + length);
        }
    }

    [TestMethod]
    public void FlippedByteIsRefused()
    {
        using var source = new TestTable(TestTable.Spec(pages: 16));
        source.Insert(7);
        var bytes = Snapshot(source.Table);
        foreach (var at in new[] { 0, 20, bytes.Length / 2, bytes.Length - 40, bytes.Length - 1 })
        {
            var copy = (byte[])bytes.Clone();
            copy[at] ^= 0x10;
            Assert.ThrowsException<InvalidDataException>(() => Table.ReadSnapshot(new MemoryStream(copy), source.Backend), $"byte {at}");
            Assert.ThrowsException<InvalidDataException>(() => TableSnapshot.Verify(new MemoryStream(copy)), $"byte {at}");
        }
        var info = TableSnapshot.Verify(new MemoryStream(bytes));
        Assert.AreEqual("t", info.Spec.Name);
        Assert.AreEqual(7, info.StoredSteps);
    }

    [TestMethod]
    public void SnapshotsOfSeveralTablesAreWrittenTogether()
    {
        using var a = new TestTable(TestTable.Spec(name: "b-table", pages: 16));
        using var b = new TestTable(TestTable.Spec(name: "a-table", pages: 16));
        a.Insert(3);
        b.Insert(4);
        var streams = new[] { new MemoryStream(), new MemoryStream() };
        Table.WriteSnapshots([a.Table, b.Table], streams);
        Assert.AreEqual("b-table", TableSnapshot.Verify(new MemoryStream(streams[0].ToArray())).Spec.Name);
        Assert.AreEqual(4, TableSnapshot.Verify(new MemoryStream(streams[1].ToArray())).StoredSteps);
    }

    private static byte[] Snapshot(Table table)
    {
        var stream = new MemoryStream();
        table.WriteSnapshot(stream);
        return stream.ToArray();
    }
}
