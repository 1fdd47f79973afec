using System.Diagnostics;
using Gear.Protocol.Grpc;
using Gear.Server.Tests.Protos;

namespace Gear.Server.Tests.Grpc;

[TestClass]
public sealed class GrpcDeadlineTests
{
    [TestMethod]
    public async Task ClientDeadlineFailsTheCallAndCancelsTheHandler()
    {
        var service = new EchoService();
        await using var server = await GrpcTestServer.StartAsync(service.Register);
        using var channel = server.CreateChannel();
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary,
            new EchoRequest { DelayMs = 30_000 }, new CallOptions(Deadline: DateTime.UtcNow.AddMilliseconds(300))));

        Assert.AreEqual(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        if (service.Invocations == 0)
            Assert.Inconclusive("the deadline passed before the call reached its handler (a heavily loaded machine); nothing to cancel");
        CancellationSeen seen = await service.CallCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.AreNotEqual(DateTime.MaxValue, seen.Deadline, "the server got grpc-timeout");
    }

    [TestMethod]
    public async Task ServerSeesTheClientsDeadline()
    {
        var service = new EchoService();
        await using var server = await GrpcTestServer.StartAsync(service.Register);
        using var channel = server.CreateChannel();
        DateTime deadline = DateTime.UtcNow.AddMinutes(5);

        await channel.UnaryAsync(EchoService.Unary, new EchoRequest(), new CallOptions(Deadline: deadline));

        TimeSpan skew = service.LastContext!.Deadline - deadline;
        Assert.IsTrue(skew.Duration() < TimeSpan.FromSeconds(2), $"server deadline off by {skew}");
        Assert.AreEqual(DateTimeKind.Utc, service.LastContext.Deadline.Kind);
    }

    [TestMethod]
    public async Task NoDeadlineMeansMaxValue()
    {
        var service = new EchoService();
        await using var server = await GrpcTestServer.StartAsync(service.Register);
        using var channel = server.CreateChannel();

        await channel.UnaryAsync(EchoService.Unary, new EchoRequest());

        Assert.AreEqual(DateTime.MaxValue, service.LastContext!.Deadline);
    }

    [TestMethod]
    public async Task ExpiredDeadlineFailsWithoutSending()
    {
        var service = new EchoService();
        await using var server = await GrpcTestServer.StartAsync(service.Register);
        using var channel = server.CreateChannel();

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary,
            new EchoRequest(), new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(-1))));

        Assert.AreEqual(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.AreEqual(0, service.Invocations);
    }

    [TestMethod]
    public async Task ServerEnforcesGrpcTimeoutWithDeadlineExceeded()
    {
        // A raw client that does not enforce the deadline itself: the status must come from the server.
        var service = new EchoService();
        await using var server = await GrpcTestServer.StartAsync(service.Register);
        using var raw = new RawGrpcClient(server.Address);
        var watch = Stopwatch.StartNew();

        RawResponse response = await raw.PostAsync(EchoService.Unary.FullName,
            GrpcHttpLevelTests.Frame(new EchoRequest { DelayMs = 30_000 }),
            headers: new[] { KeyValuePair.Create("grpc-timeout", "200m") });

        Assert.AreEqual("4", response.GrpcStatus, response.GrpcMessage);
        Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        CancellationSeen seen = await service.CallCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.IsTrue(seen.DeadlinePassed);
        Assert.IsFalse(seen.ClientReset, "the raw client never cancels: the server's own deadline fired");
    }

    [TestMethod]
    public async Task ServerEnforcesTheDeadlineOnAStreamingCall()
    {
        var service = new EchoService();
        await using var server = await GrpcTestServer.StartAsync(service.Register);
        using var raw = new RawGrpcClient(server.Address);

        RawResponse response = await raw.PostAsync(EchoService.ServerStream.FullName,
            GrpcHttpLevelTests.Frame(new EchoRequest { DelayMs = 100, Repeat = 1000 }),
            headers: new[] { KeyValuePair.Create("grpc-timeout", "350m") });

        Assert.AreEqual("4", response.Trailers["grpc-status"], "after messages, so in the trailers");
        Assert.IsTrue(response.Body.Length > 0);
    }

    [TestMethod]
    public async Task MalformedGrpcTimeoutIsInternal()
    {
        var service = new EchoService();
        await using var server = await GrpcTestServer.StartAsync(service.Register);
        using var raw = new RawGrpcClient(server.Address);

        foreach (string bad in new[] { "soon", "123456789S", "10x", "-5S", "S" })
        {
            RawResponse response = await raw.PostAsync(EchoService.Unary.FullName, GrpcHttpLevelTests.Frame(new EchoRequest()),
                headers: new[] { KeyValuePair.Create("grpc-timeout", bad) });

            Assert.AreEqual("13", response.GrpcStatus, bad);
            StringAssert.Contains(Uri.UnescapeDataString(response.GrpcMessage!), "grpc-timeout");
        }
        Assert.AreEqual(0, service.Invocations);
    }
}
