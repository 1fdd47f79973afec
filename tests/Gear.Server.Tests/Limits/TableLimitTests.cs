using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Service;
using Gear.Server.Tests.Service;

namespace Gear.Server.Tests.Limits;

/// <summary>A server holding the most tables it allows refuses another with RESOURCE_EXHAUSTED, and accepts one again once a table goes.</summary>
[TestClass]
public sealed class TableLimitTests
{
    [TestMethod]
    public async Task CreateTableBeyondTheLimitIsResourceExhausted()
    {
        await using var server = await ServiceHarness.StartAsync();
        var client = server.Client();
        // Filled in process (fast), each table as small as a table gets: the limit, not memory, must be what refuses.
        for (var i = server.Tables.Count; i < TableRegistry.MaxTables; i++)
            server.Tables.Create(Tiny($"t{i}"));

        var refused = await Assert.ThrowsExceptionAsync<RpcException>(() => client.CreateTableAsync(Tiny("one-too-many")));

        Assert.AreEqual(StatusCode.ResourceExhausted, refused.StatusCode);
        StringAssert.Contains(refused.Status.Detail, TableRegistry.MaxTables.ToString());
        Assert.AreEqual(TableRegistry.MaxTables, (await client.Unary(ReplayMethods.GetServerInfo, new GetServerInfoRequest())).TableCount);
        await client.Unary(ReplayMethods.DropTable, new DropTableRequest { Table = "t0" });
        await client.CreateTableAsync(Tiny("one-too-many"));
    }

    private static TableSpec Tiny(string name)
    {
        var spec = KnownSteps.Spec(name);
        spec.HostCapacityBytes = 16 * 1024;
        spec.MaxTrajectories = 4;
        return spec;
    }
}
