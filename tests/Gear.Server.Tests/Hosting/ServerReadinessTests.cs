using Gear.Protocol.Grpc;
using Gear.Server.Grpc;
using Gear.Server.Hosting;

namespace Gear.Server.Tests.Hosting;

[TestClass]
public sealed class ServerReadinessTests
{
    [TestMethod]
    public async Task CallsAreUnavailableUntilReadyAndAfterShutdownBegins()
    {
        var readiness = new ServerReadiness();
        var passed = 0;
        var gate = readiness.Gate(_ => { passed++; return ValueTask.CompletedTask; });
        ServerCallContext call = null!; // the gate itself never reads the call

        var starting = Assert.ThrowsException<RpcException>(() => gate(call));
        Assert.AreEqual(StatusCode.Unavailable, starting.StatusCode, "a retrying client must hear 'try again' while tables are restored");
        StringAssert.Contains(starting.Status.Detail, "starting");

        readiness.MarkReady("ready: 1 tables");
        await gate(call);
        Assert.AreEqual(1, passed, "ready: the next interceptor (authorization) runs");

        readiness.MarkNotReady("shutting down");
        Assert.AreEqual(StatusCode.Unavailable, Assert.ThrowsException<RpcException>(() => gate(call)).StatusCode);
        Assert.AreEqual(1, passed);
    }
}
