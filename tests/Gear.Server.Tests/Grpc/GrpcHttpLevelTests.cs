using System.Net;
using Gear.Protocol.Grpc;
using Gear.Server.Tests.Protos;
using Google.Protobuf;

namespace Gear.Server.Tests.Grpc;

/// <summary>What non-gRPC HTTP traffic gets from the gRPC endpoint.</summary>
[TestClass]
public sealed class GrpcHttpLevelTests
{
    private static GrpcTestServer _server = null!;
    private static RawGrpcClient _raw = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _)
    {
        _server = await GrpcTestServer.StartAsync(new EchoService().Register);
        _raw = new RawGrpcClient(_server.Address);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        _raw.Dispose();
        await _server.DisposeAsync();
    }

    [TestMethod]
    public async Task NonGrpcContentTypeGets415()
    {
        RawResponse response = await _raw.PostAsync(EchoService.Unary.FullName, Frame(new EchoRequest()), contentType: "application/json");

        Assert.AreEqual(415, response.HttpStatus);
        Assert.IsNull(response.GrpcStatus);
    }

    [TestMethod]
    public async Task GrpcWebContentTypeGets415()
    {
        RawResponse response = await _raw.PostAsync(EchoService.Unary.FullName, Frame(new EchoRequest()), contentType: "application/grpc-web");

        Assert.AreEqual(415, response.HttpStatus);
    }

    [TestMethod]
    public async Task GrpcPlusProtoContentTypeIsAccepted()
    {
        RawResponse response = await _raw.PostAsync(EchoService.Unary.FullName, Frame(new EchoRequest { Text = "p" }), contentType: "application/grpc+proto");

        Assert.AreEqual(200, response.HttpStatus);
        Assert.AreEqual("0", response.GrpcStatus);
        Assert.AreEqual("p", EchoResponse.Parser.ParseFrom(response.Body.AsSpan(5).ToArray()).Text);
    }

    [TestMethod]
    public async Task Http11RequestOnTheCleartextGrpcPortGets400FromKestrel()
    {
        // Kestrel cannot serve HTTP/1.1 and h2c on one cleartext port, so the port is HTTP/2 only and an
        // HTTP/1.1 request never reaches the host (no 426 possible): Kestrel itself answers 400 and closes
        // the connection. Over TLS, ALPN separates the two and the host answers 426 (GrpcTlsTests).
        RawResponse response = await _raw.PostAsync(EchoService.Unary.FullName, Frame(new EchoRequest()), version: HttpVersion.Version11);

        Assert.AreEqual(400, response.HttpStatus);
        Assert.AreEqual(new Version(1, 1), response.Version);
        Assert.AreEqual("close", response.Headers["Connection"]);
        StringAssert.Contains(System.Text.Encoding.ASCII.GetString(response.Body), "HTTP/2 only endpoint");
    }

    [TestMethod]
    public async Task Http1AndHttp2OnCleartextRefusesPriorKnowledgeHttp2()
    {
        // Why ConfigureListener does not use Http1AndHttp2 without TLS: Kestrel then speaks HTTP/1.1 only.
        await using var mixed = await GrpcTestServer.StartAsync(new EchoService().Register,
            configureListener: l => l.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1AndHttp2);
        using var raw = new RawGrpcClient(mixed.Address);

        var error = await Assert.ThrowsExceptionAsync<HttpRequestException>(
            () => raw.PostAsync(EchoService.Unary.FullName, Frame(new EchoRequest())));

        StringAssert.Contains(error.Message, "HTTP_1_1_REQUIRED");
    }

    [TestMethod]
    public async Task GetGets405()
    {
        using var client = new HttpClient(new SocketsHttpHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_server.Address, EchoService.Unary.FullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.AreEqual(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [TestMethod]
    public async Task UnknownMethodIsUnimplementedTrailersOnly()
    {
        RawResponse response = await _raw.PostAsync("/gear.test.Echo/Nope", Frame(new EchoRequest()));

        Assert.AreEqual(200, response.HttpStatus);
        Assert.AreEqual("12", response.Headers["grpc-status"], "status belongs in the headers (Trailers-Only)");
        Assert.AreEqual(0, response.Body.Length);
        Assert.AreEqual(0, response.Trailers.Count);
        StringAssert.Contains(response.Headers["grpc-message"], "/gear.test.Echo/Nope");
    }

    [TestMethod]
    public async Task UnknownMethodThroughTheChannelIsUnimplemented()
    {
        using var channel = _server.CreateChannel();
        var missing = new Method<EchoRequest, EchoResponse>(MethodType.Unary, "gear.test.Echo", "Missing", EchoRequest.Parser, EchoResponse.Parser);

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => channel.UnaryAsync(missing, new EchoRequest()));

        Assert.AreEqual(StatusCode.Unimplemented, error.StatusCode);
    }

    [TestMethod]
    public async Task ChannelToAnHttp1OnlyServerFailsUnavailable()
    {
        // Kestrel with HTTP/1.1 only: the client's HTTP/2 preface is not understood, so the call cannot start.
        await using var http1 = await GrpcTestServer.StartAsync(new EchoService().Register,
            configureListener: l => l.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1);
        using var channel = http1.CreateChannel();

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary, new EchoRequest()));

        Assert.AreEqual(StatusCode.Unavailable, error.StatusCode, error.Status.Detail);
    }

    internal static byte[] Frame(IMessage message)
    {
        byte[] body = message.ToByteArray();
        byte[] frame = new byte[5 + body.Length];
        LengthPrefixedMessage.WriteHeader(frame, body.Length);
        body.CopyTo(frame, 5);
        return frame;
    }
}
