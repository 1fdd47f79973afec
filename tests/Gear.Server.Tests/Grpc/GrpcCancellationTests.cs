using Gear.Protocol.Grpc;
using Gear.Server.Grpc;
using Gear.Server.Tests.Protos;
using Microsoft.AspNetCore.Http.Features;

namespace Gear.Server.Tests.Grpc;

[TestClass]
public sealed class GrpcCancellationTests
{
    private static readonly Method<EchoRequest, EchoResponse> ResetAfterOne =
        new(MethodType.ServerStreaming, "gear.test.Reset", "AfterOne", EchoRequest.Parser, EchoResponse.Parser);

    [TestMethod]
    public async Task ClientCancellationResetsTheStreamAndTheHandlerSeesIt()
    {
        var service = new EchoService();
        await using var server = await GrpcTestServer.StartAsync(service.Register);
        using var channel = server.CreateChannel();
        using var cancel = new CancellationTokenSource();
        using var call = channel.ServerStreaming(EchoService.ServerStream,
            new EchoRequest { Repeat = 1000, DelayMs = 50 }, new CallOptions(CancellationToken: cancel.Token));

        Assert.IsTrue(await call.ResponseStream.MoveNext());
        cancel.Cancel();
        var error = await Assert.ThrowsExceptionAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext()) { }
        });

        Assert.AreEqual(StatusCode.Cancelled, error.StatusCode);
        CancellationSeen seen = await service.CallCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.IsTrue(seen.ClientReset, "the server saw RST_STREAM");
    }

    [TestMethod]
    public async Task StreamsCancelledWhileLargeRepliesArriveEndCancelledAndLeaveTheServerServing()
    {
        var service = new EchoService();
        await using var server = await GrpcTestServer.StartAsync(service.Register);
        using var channel = server.CreateChannel();
        var random = new Random(11);

        // Replies of 1 MB arrive straight into the reader's buffers; a cancellation can land in the middle of one.
        var ends = await Task.WhenAll(Enumerable.Range(0, 24).Select(async i =>
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(5 + random.Next(60)));
            using var call = channel.ServerStreaming(EchoService.ServerStream,
                new EchoRequest { Text = "big", Repeat = 200, ResponseSize = 1 << 20 }, new CallOptions(CancellationToken: cancel.Token));
            try
            {
                while (await call.ResponseStream.MoveNext())
                    Assert.AreEqual(1 << 20, call.ResponseStream.Current.Payload.Length);
                return StatusCode.OK;
            }
            catch (RpcException e)
            {
                return e.StatusCode;
            }
        }));

        Assert.IsTrue(ends.All(code => code == StatusCode.Cancelled), string.Join(", ", ends));
        using var after = channel.ServerStreaming(EchoService.ServerStream, new EchoRequest { Text = "after", Repeat = 2, ResponseSize = 1 << 20 });
        var received = 0;
        while (await after.ResponseStream.MoveNext()) received++;
        Assert.AreEqual(2, received);
    }

    [TestMethod]
    public async Task DisposingADuplexCallCancelsItOnTheServer()
    {
        var service = new EchoService();
        await using var server = await GrpcTestServer.StartAsync(service.Register);
        using var channel = server.CreateChannel();
        var call = channel.DuplexStreaming(EchoService.Duplex);
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "one" });
        Assert.IsTrue(await call.ResponseStream.MoveNext());

        call.Dispose();

        CancellationSeen seen = await service.CallCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.IsTrue(seen.ClientReset);
        Assert.AreEqual(StatusCode.Cancelled, call.GetStatus().StatusCode);
        await Assert.ThrowsExceptionAsync<RpcException>(() => call.ResponseStream.MoveNext());
    }

    [TestMethod]
    public async Task DisposingAClientStreamingCallCancelsIt()
    {
        var service = new EchoService();
        await using var server = await GrpcTestServer.StartAsync(service.Register);
        using var channel = server.CreateChannel();
        var call = channel.ClientStreaming(EchoService.ClientStream);
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "one" });
        // A call disposed before its handler starts is one the server may never see; wait until it has.
        await service.CallEntered.Task.WaitAsync(TimeSpan.FromSeconds(10));

        call.Dispose();

        Assert.IsTrue((await service.CallCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10))).ClientReset);
        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => call.ResponseAsync);
        Assert.AreEqual(StatusCode.Cancelled, error.StatusCode);
    }

    [TestMethod]
    public async Task ServerResetIsCancelledOnTheClient()
    {
        var firstRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await GrpcTestServer.StartAsync(host =>
            host.AddServerStreaming(ResetAfterOne, async (request, responses, context) =>
            {
                await responses.WriteAsync(new EchoResponse { Text = "first" });
                await firstRead.Task;
                context.HttpContext.Features.Get<IHttpResetFeature>()!.Reset(HttpStatusMapping.Http2CancelErrorCode);
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            }));
        using var channel = server.CreateChannel();
        using var call = channel.ServerStreaming(ResetAfterOne, new EchoRequest());

        Assert.IsTrue(await call.ResponseStream.MoveNext());
        firstRead.SetResult();
        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.AreEqual(StatusCode.Cancelled, error.StatusCode, error.Status.Detail);
    }

    [TestMethod]
    public async Task ShutdownEndsCallsInFlightWithUnavailableAndRefusesNewOnes()
    {
        var service = new EchoService();
        await using var server = await GrpcTestServer.StartAsync(service.Register);
        using var channel = server.CreateChannel();
        using var call = channel.DuplexStreaming(EchoService.Duplex);
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "x" });
        Assert.IsTrue(await call.ResponseStream.MoveNext());

        server.Host.BeginShutdown();

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.AreEqual(StatusCode.Unavailable, error.StatusCode);
        Assert.AreEqual("server is shutting down", error.Status.Detail);
        var refused = await Assert.ThrowsExceptionAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary, new EchoRequest()));
        Assert.AreEqual(StatusCode.Unavailable, refused.StatusCode);
    }

    [TestMethod]
    public async Task CancellingOneCallLeavesOthersOnTheConnectionAlone()
    {
        var service = new EchoService();
        await using var server = await GrpcTestServer.StartAsync(service.Register);
        using var channel = server.CreateChannel();
        using var survivor = channel.DuplexStreaming(EchoService.Duplex);
        using (var victim = channel.DuplexStreaming(EchoService.Duplex))
        {
            await victim.RequestStream.WriteAsync(new EchoRequest());
            Assert.IsTrue(await victim.ResponseStream.MoveNext());
        }

        await survivor.RequestStream.WriteAsync(new EchoRequest { Text = "still here" });
        Assert.IsTrue(await survivor.ResponseStream.MoveNext());
        Assert.AreEqual("still here", survivor.ResponseStream.Current.Text);
    }
}
