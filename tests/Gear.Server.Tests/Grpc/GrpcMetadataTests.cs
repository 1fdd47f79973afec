using Gear.Protocol.Grpc;
using Gear.Server.Tests.Protos;

namespace Gear.Server.Tests.Grpc;

[TestClass]
public sealed class GrpcMetadataTests
{
    private static EchoService _service = null!;
    private static GrpcTestServer _server = null!;
    private static GrpcChannel _channel = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _)
    {
        _service = new EchoService();
        _server = await GrpcTestServer.StartAsync(_service.Register);
        _channel = _server.CreateChannel();
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        _channel.Dispose();
        await _server.DisposeAsync();
    }

    [TestMethod]
    public async Task ServerSeesTextAndBinaryRequestMetadata()
    {
        byte[] binary = { 0, 1, 2, 253, 254, 255, 10 }; // 7 bytes: unpadded base64 on the wire
        var headers = new Metadata { { "x-echo-text", "hello world" }, { "X-Echo-Data-Bin", binary } };

        await _channel.UnaryAsync(EchoService.Unary, new EchoRequest(), new CallOptions(Headers: headers));

        Metadata seen = _service.LastContext!.RequestHeaders;
        Assert.AreEqual("hello world", seen.GetValue("x-echo-text"));
        CollectionAssert.AreEqual(binary, seen.GetValueBytes("x-echo-data-bin"));
        Assert.IsNull(seen.GetValue("te"), "protocol headers are not metadata");
        Assert.IsNull(seen.GetValue("content-type"));
    }

    [TestMethod]
    public async Task UnaryEchoSendsHeadersAndTrailersWithBinaryValues()
    {
        byte[] binary = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
        var raw = new RawGrpcClient(_server.Address);
        RawResponse response = await raw.PostAsync(EchoService.Unary.FullName, GrpcHttpLevelTests.Frame(new EchoRequest()),
            headers: new[]
            {
                // Padded on the way in (allowed); the server must accept both forms.
                KeyValuePair.Create("x-echo-p-bin", Convert.ToBase64String(binary)),
                KeyValuePair.Create("x-echo-u-bin", Convert.ToBase64String(binary).TrimEnd('=')),
            });
        raw.Dispose();

        Assert.AreEqual("0", response.GrpcStatus);
        string unpadded = Convert.ToBase64String(binary).TrimEnd('=');
        Assert.AreEqual(unpadded, response.Headers["h-x-echo-p-bin"], "sent unpadded");
        Assert.AreEqual(unpadded, response.Trailers["x-echo-u-bin"]);
    }

    [TestMethod]
    public async Task ClientReadsBinaryResponseHeadersAndTrailers()
    {
        byte[] binary = { 200, 100, 50, 25 };
        var options = new CallOptions(Headers: new Metadata { { "x-echo-k-bin", binary }, { "x-echo-t", "v" } });
        var echoed = await EchoWithHeadersAsync(_channel, options);
        CollectionAssert.AreEqual(binary, echoed.Headers.GetValueBytes("h-x-echo-k-bin"));
        Assert.AreEqual("v", echoed.Headers.GetValue("h-x-echo-t"));
        CollectionAssert.AreEqual(binary, echoed.Trailers.GetValueBytes("x-echo-k-bin"));
        Assert.AreEqual("v", echoed.Trailers.GetValue("x-echo-t"));
    }

    private static async Task<(Metadata Headers, Metadata Trailers)> EchoWithHeadersAsync(GrpcChannel channel, CallOptions options)
    {
        // A unary method called through the client-streaming API: same wire format, and the call object
        // exposes headers and trailers.
        var asClientStream = new Method<EchoRequest, EchoResponse>(MethodType.ClientStreaming, EchoService.ServiceName, "Unary",
            EchoRequest.Parser, EchoResponse.Parser);
        using var call = channel.ClientStreaming(asClientStream, options);
        await call.RequestStream.WriteAsync(new EchoRequest());
        await call.RequestStream.CompleteAsync();
        await call.ResponseAsync;
        return (await call.ResponseHeadersAsync, call.GetTrailers());
    }
}
