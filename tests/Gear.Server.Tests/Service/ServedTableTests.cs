using Gear.Core.Compute.Cpu;
using Gear.Core.Errors;
using Gear.Core.Tables;
using Gear.Server.Service;

namespace Gear.Server.Tests.Service;

[TestClass]
public sealed class ServedTableTests
{
    [TestMethod]
    public async Task DropWaitsForLeasesAndRefusesNewOnes()
    {
        using var backend = new CpuBackend();
        var served = new ServedTable(new Table(TableSpecMapping.ToCore(TableSpecMappingTests.MinimalSpec()), backend));
        var lease = served.Acquire();

        var drop = served.DropAsync(deleteLog: true);
        await Task.Delay(50);

        Assert.IsFalse(drop.IsCompleted, "the table must not be freed while a lease is held");
        Assert.IsTrue(served.Dropping.IsCancellationRequested, "waits on the table are cancelled at once");
        Assert.AreEqual(GearErrorCode.NotFound, Assert.ThrowsException<GearException>(() => served.Acquire()).Code);
        Assert.IsNotNull(lease.Table.GetInfo(), "the leased table is still usable");

        lease.Dispose();
        await drop.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.AreEqual(GearErrorCode.Unavailable, Assert.ThrowsException<GearException>(() => served.Table.GetInfo()).Code);
    }
}
