using Gear.Core.Sampling;
using Gear.Core.Selection;
using Gear.Core.Tests.Support;

namespace Gear.Core.Tests.Tables;

[TestClass]
public sealed class SelectionMassTests
{
    [TestMethod]
    public void PrioritizedMassIsTheSumOfPowersAndFollowsUpdates()
    {
        using var table = new TestTable(TestTable.Spec(sampler: SelectorKind.Prioritized, priorityExponent: 0.5));
        var first = table.Insert(3, priority: 4);
        table.Insert(3, priority: 9);

        Assert.AreEqual(2 + 3, table.Table.GetInfo().SelectionMass, 1e-9);
        table.Table.UpdatePriorities([first], [16.0]);
        Assert.AreEqual(4 + 3, table.Table.GetInfo().SelectionMass, 1e-9);

        using var batch = new WindowBatch(table.Columns, 4, 1);
        table.Table.Sample(new SampleRequest(4, 1), new RandomStream(1), batch, TimeSpan.FromSeconds(5));
        Assert.AreEqual(7, batch.SelectionMass, 1e-9);
        Assert.AreEqual(2, batch.ItemCount);
    }

    [TestMethod]
    public void UniformMassIsTheItemCount()
    {
        using var table = new TestTable(TestTable.Spec(sampler: SelectorKind.Uniform));
        for (var i = 0; i < 5; i++)
            table.Insert(2, priority: 100 + i);

        Assert.AreEqual(5, table.Table.GetInfo().SelectionMass);
        using var batch = new WindowBatch(table.Columns, 3, 1);
        table.Table.Sample(new SampleRequest(3, 1), new RandomStream(2), batch, TimeSpan.FromSeconds(5));
        Assert.AreEqual(5, batch.SelectionMass);
        Assert.AreEqual(5, batch.ItemCount);
    }
}
