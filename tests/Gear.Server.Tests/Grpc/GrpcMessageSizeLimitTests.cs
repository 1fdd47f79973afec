using Gear.Protocol.Grpc;
using Gear.Server.Tests.Protos;
using Google.Protobuf;

namespace Gear.Server.Tests.Grpc;

[TestClass]
public sealed class GrpcMessageSizeLimitTests
{
    private const int ServerLimit = 64 * 1024;

    private static EchoService _service = null!;
    private static GrpcTestServer _server = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _)
    {
        _service = new EchoService();
        _server = await GrpcTestServer.StartAsync(_service.Register, options =>
        {
            options.MaxReceiveMessageSize = ServerLimit;
            options.MaxSendMessageSize = ServerLimit;
        });
    }

    [ClassCleanup]
    public static async Task StopAsync() => await _server.DisposeAsync();

    [TestMethod]
    public async Task ServerRefusesAnOversizeRequestNamingTheSizes()
    {
        using var channel = _server.CreateChannel();
        var request = new EchoRequest { Payload = ByteString.CopyFrom(new byte[ServerLimit + 10]) };

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary, request));

        Assert.AreEqual(StatusCode.ResourceExhausted, error.StatusCode);
        StringAssert.Contains(error.Status.Detail, request.CalculateSize().ToString());
        StringAssert.Contains(error.Status.Detail, ServerLimit.ToString());
    }

    [TestMethod]
    public async Task ServerRefusesToSendAnOversizeResponse()
    {
        using var channel = _server.CreateChannel();

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() =>
            channel.UnaryAsync(EchoService.Unary, new EchoRequest { ResponseSize = ServerLimit + 1 }));

        Assert.AreEqual(StatusCode.ResourceExhausted, error.StatusCode);
        StringAssert.Contains(error.Status.Detail, ServerLimit.ToString());
    }

    [TestMethod]
    public async Task ClientRefusesToSendAnOversizeRequestWithoutCallingTheServer()
    {
        using var channel = _server.CreateChannel(new GrpcChannelOptions { MaxSendMessageSize = 1000 });
        int before = _service.Invocations;

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() =>
            channel.UnaryAsync(EchoService.Unary, new EchoRequest { Payload = ByteString.CopyFrom(new byte[2000]) }));

        Assert.AreEqual(StatusCode.ResourceExhausted, error.StatusCode);
        StringAssert.Contains(error.Status.Detail, "1000");
        Assert.AreEqual(before, _service.Invocations);
    }

    [TestMethod]
    public async Task ClientStreamWriteOverTheLimitFailsTheCall()
    {
        using var channel = _server.CreateChannel(new GrpcChannelOptions { MaxSendMessageSize = 1000 });
        using var call = channel.DuplexStreaming(EchoService.Duplex);
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "small" });

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() =>
            call.RequestStream.WriteAsync(new EchoRequest { Payload = ByteString.CopyFrom(new byte[2000]) }));

        Assert.AreEqual(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.AreEqual(StatusCode.ResourceExhausted, call.GetStatus().StatusCode);
    }

    [TestMethod]
    public async Task ClientRefusesAnOversizeResponse()
    {
        using var channel = _server.CreateChannel(new GrpcChannelOptions { MaxReceiveMessageSize = 1000 });

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() =>
            channel.UnaryAsync(EchoService.Unary, new EchoRequest { ResponseSize = 5000 }));

        Assert.AreEqual(StatusCode.ResourceExhausted, error.StatusCode);
        StringAssert.Contains(error.Status.Detail, "1000");
        StringAssert.Contains(error.Status.Detail, "500"); // 5000 + field overhead
    }

    [TestMethod]
    public async Task MessageExactlyAtTheLimitPasses()
    {
        using var channel = _server.CreateChannel();
        var request = new EchoRequest { Payload = ByteString.CopyFrom(new byte[ServerLimit - 4]) };
        Assert.AreEqual(ServerLimit, request.CalculateSize(), "test setup: exactly the limit");

        EchoResponse response = await channel.UnaryAsync(EchoService.Unary, request);

        Assert.AreEqual(ServerLimit - 4, response.Payload.Length);
    }
}
