using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Tests.Support;

namespace Gear.Core.Tests.Tables;

/// <summary>
/// Held samples (the TCP data plane's: sampled, not gathered, sent from the pages): the same windows as a
/// gathered sample, page runs that spell the gathered bytes exactly, and pages that outlive an eviction until
/// the release.
/// </summary>
[TestClass]
public sealed class HeldSampleTests
{
    private static readonly ColumnSpec[] Columns = [new("obs", DType.F32, 3), new("action", DType.I16), new("done", DType.Bool)];

    /// <summary>Trajectories written two at a time, step by step, so their pages interleave in the pool; some shorter than a window.</summary>
    private static TestTable InterleavedTable()
    {
        var table = new TestTable(TestTable.Spec(columns: Columns, pageSteps: 4, pages: 128));
        for (var pair = 0; pair < 6; pair++)
        {
            var a = table.Open();
            var b = table.Open();
            for (var step = 0; step < 3 + 4 * pair; step++)
            {
                table.AppendRandom(a, 1);
                if (step % 2 == 0)
                    table.AppendRandom(b, 1);
            }
            table.Table.Close(a, 1.0);
            table.Table.Close(b, 1.0);
        }
        table.Insert(40, chunk: 40); // one long run of neighbouring pages
        return table;
    }

    [TestMethod]
    [DataRow(WindowPlacement.Uniform, PaddingSide.Tail)]
    [DataRow(WindowPlacement.Uniform, PaddingSide.Head)]
    [DataRow(WindowPlacement.EndAnchored, PaddingSide.Tail)]
    public async Task HeldRunsSpellTheGatheredBatch(WindowPlacement placement, PaddingSide padding)
    {
        using var table = InterleavedTable();
        foreach (var windowLength in new[] { 1, 5, 12 })
        {
            var request = new SampleRequest(24, windowLength, placement, 0.4, padding);
            using var gathered = new WindowBatch(table.Columns, 24, windowLength);
            using var held = new WindowBatch(table.Columns, 24, windowLength);
            await table.Table.SampleAsync(request, new RandomStream(9), gathered, TimeSpan.FromSeconds(5));
            await table.Table.SampleHeldAsync(request, new RandomStream(9), held, TimeSpan.FromSeconds(5));

            CollectionAssert.AreEqual(gathered.Keys.ToArray(), held.Keys.ToArray());
            CollectionAssert.AreEqual(gathered.StartSteps.ToArray(), held.StartSteps.ToArray());
            CollectionAssert.AreEqual(gathered.Probabilities.ToArray(), held.Probabilities.ToArray());
            CollectionAssert.AreEqual(gathered.ImportanceWeights.ToArray(), held.ImportanceWeights.ToArray());
            CollectionAssert.AreEqual(gathered.Mask.ToArray(), held.Mask.ToArray(), "the held sample writes the mask");
            for (var c = 0; c < Columns.Length; c++)
                CollectionAssert.AreEqual(gathered.Column(c).ToArray(), FromRuns(table, held, c), $"column {Columns[c].Name}, windows of {windowLength}");

            table.Table.GatherHeld(held);
            for (var c = 0; c < Columns.Length; c++)
                CollectionAssert.AreEqual(gathered.Column(c).ToArray(), held.Column(c).ToArray(), $"gathered held column {Columns[c].Name}");
            table.Table.ReleaseHeld(held);
        }
    }

    [TestMethod]
    public async Task HeldPagesOutliveADeleteUntilReleased()
    {
        using var table = new TestTable(TestTable.Spec(columns: Columns, pageSteps: 4, pages: 16));
        var key = table.Insert(16, chunk: 16);
        using var held = new WindowBatch(table.Columns, 1, 16);
        await table.Table.SampleHeldAsync(new SampleRequest(1, 16, WindowPlacement.StartAnchored), new RandomStream(1), held, TimeSpan.FromSeconds(5));
        var expected = FromRuns(table, held, 0);
        table.Table.HeldRun(held, 0, 0, 0, 16, out var steps);
        Assert.AreEqual(16, steps, "the four pages written one after another are one run");

        table.Table.Delete([key]);
        Assert.AreEqual(12, table.Table.GetInfo().PagesFree, "the deleted trajectory's 4 pages stay allocated while held");
        CollectionAssert.AreEqual(expected, FromRuns(table, held, 0), "the held pages still read the sampled steps");

        table.Table.ReleaseHeld(held);
        Assert.AreEqual(16, table.Table.GetInfo().PagesFree, "released with the hold");
    }

    [TestMethod]
    public async Task DisposingAHeldBatchReleasesItsPages()
    {
        using var table = new TestTable(TestTable.Spec(columns: Columns, pageSteps: 4, pages: 16));
        var key = table.Insert(16, chunk: 16);
        var held = new WindowBatch(table.Columns, 1, 16);
        await table.Table.SampleHeldAsync(new SampleRequest(1, 16, WindowPlacement.StartAnchored), new RandomStream(1), held, TimeSpan.FromSeconds(5));
        table.Table.Delete([key]);
        Assert.AreEqual(12, table.Table.GetInfo().PagesFree, "held while the batch lives");
        held.Dispose();
        Assert.AreEqual(16, table.Table.GetInfo().PagesFree, "released with the batch");
        Assert.ThrowsException<InvalidOperationException>(() => table.Table.ReleaseHeld(held), "released once only");
    }

    [TestMethod]
    public async Task AHeldBatchOutlivingItsTableDisposesQuietly()
    {
        var table = new TestTable(TestTable.Spec(columns: Columns));
        var key = table.Insert(8);
        var held = new WindowBatch(table.Columns, 4, 2);
        await table.Table.SampleHeldAsync(new SampleRequest(4, 2), new RandomStream(1), held, TimeSpan.FromSeconds(5));
        table.Table.Delete([key]); // the hold is the last reference: its release would free the pages
        table.Dispose();
        held.Dispose();
        Assert.IsNull(held.HeldBy);
    }

    [TestMethod]
    public async Task AHeldBatchMustBeReleasedBeforeItSamplesAgain()
    {
        using var table = new TestTable(TestTable.Spec(columns: Columns));
        table.Insert(8);
        using var held = new WindowBatch(table.Columns, 4, 2);
        var request = new SampleRequest(4, 2);
        await table.Table.SampleHeldAsync(request, new RandomStream(1), held, TimeSpan.FromSeconds(5));
        await Assert.ThrowsExceptionAsync<InvalidOperationException>(() => table.Table.SampleAsync(request, new RandomStream(1), held, TimeSpan.FromSeconds(5)).AsTask());
        Assert.ThrowsException<InvalidOperationException>(() => table.Table.Sample(request, new RandomStream(1), held, TimeSpan.FromSeconds(5)));
        table.Table.ReleaseHeld(held);
        Assert.ThrowsException<InvalidOperationException>(() => table.Table.ReleaseHeld(held), "released once only");
        Assert.ThrowsException<InvalidOperationException>(() => table.Table.GatherHeld(held));
        table.Table.Sample(request, new RandomStream(1), held, TimeSpan.FromSeconds(5));
    }

    /// <summary>Column <paramref name="column"/> of a held batch as a transport sends it: zeros for padding, page runs for the rest.</summary>
    private static unsafe byte[] FromRuns(TestTable table, WindowBatch held, int column)
    {
        var stepBytes = Columns[column].StepBytes;
        var bytes = new List<byte>();
        for (var w = 0; w < held.Count; w++)
        {
            var (first, end) = held.ValidPositions(w);
            bytes.AddRange(new byte[first * stepBytes]);
            for (var position = first; position < end;)
            {
                var address = table.Table.HeldRun(held, w, column, position, end, out var steps);
                Assert.IsTrue(steps > 0 && position + steps <= end);
                bytes.AddRange(new ReadOnlySpan<byte>((void*)address, steps * stepBytes).ToArray());
                position += steps;
            }
            bytes.AddRange(new byte[(held.WindowLength - end) * stepBytes]);
        }
        return [.. bytes];
    }
}
