using Gear.Protocol.Grpc;
using Gear.Server.Tests.Protos;

namespace Gear.Server.Tests.Grpc;

[TestClass]
public sealed class GrpcMetadataTests
{
    private static EchoFixture _echo = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _)
    {
        _echo = await EchoFixture.StartAsync();
    }

    [ClassCleanup]
    public static async Task StopAsync() => await _echo.DisposeAsync();

    [TestMethod]
    public async Task ServerSeesTextAndBinaryRequestMetadata()
    {
        byte[] binary = { 0, 1, 2, 253, 254, 255, 10 }; // 7 bytes: unpadded base64 on the wire
        var headers = new Metadata { { "x-echo-text", "hello world" }, { "X-Echo-Data-Bin", binary } };

        await _echo.Channel.UnaryAsync(EchoService.Unary, new EchoRequest(), new CallOptions(Headers: headers));

        Metadata seen = _echo.Service.LastContext!.RequestHeaders;
        Assert.AreEqual("hello world", seen.GetValue("x-echo-text"));
        CollectionAssert.AreEqual(binary, seen.GetValueBytes("x-echo-data-bin"));
        Assert.IsNull(seen.GetValue("te"), "protocol headers are not metadata");
        Assert.IsNull(seen.GetValue("content-type"));
    }

    [TestMethod]
    public async Task UnaryEchoSendsHeadersAndTrailersWithBinaryValues()
    {
        byte[] binary = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
        var raw = new RawGrpcClient(_echo.Server.Address);
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
        var echoed = await EchoWithHeadersAsync(_echo.Channel, options);
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
