using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Selection;
using Gear.Core.Tests.Support;

namespace Gear.Core.Tests.Tables;

/// <summary>The insert, sample and update paths allocate nothing once the table is warm.</summary>
[TestClass]
public sealed class TableAllocationTests
{
    [TestMethod]
    [DataRow(SelectorKind.Uniform, ItemGranularity.Trajectory)]
    [DataRow(SelectorKind.Prioritized, ItemGranularity.Trajectory)]
    [DataRow(SelectorKind.Prioritized, ItemGranularity.Step)]
    public void SteadyStateInsertSampleAndUpdateAllocateNothing(SelectorKind sampler, ItemGranularity granularity)
    {
        using var table = new TestTable(TestTable.Spec(pageSteps: 4, pages: 32, granularity: granularity, sampler: sampler));
        var steps = table.RandomSteps(6, out _);
        var placement = granularity == ItemGranularity.Step ? WindowPlacement.StartAnchored : WindowPlacement.Uniform;
        using var batch = new WindowBatch(table.Columns, 8, 3);
        var random = new RandomStream(1);
        var keys = new ulong[8];
        var priorities = new double[8];

        void Cycle()
        {
            var key = table.Table.OpenTrajectory();
            table.Table.Append(key, 6, steps);
            table.Table.Close(key, 2.0);
            table.Table.Sample(new SampleRequest(8, 3, placement, 0.4), random, batch, Timeout.InfiniteTimeSpan);
            batch.Keys.CopyTo(keys);
            priorities.AsSpan().Fill(3.0);
            table.Table.UpdatePriorities(keys, priorities);
        }

        // Warm up past the point where the table is full and evicting, so every page-table array has grown.
        for (var i = 0; i < 200; i++)
            Cycle();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 500; i++)
            Cycle();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.AreEqual(0, allocated, "bytes allocated by 500 insert + sample + update cycles");
    }
}
