using System.Net;
using System.Security.Cryptography.X509Certificates;
using Gear.Protocol.Grpc;
using Gear.Server.Tests.Protos;
using Gear.Tests.Shared;

namespace Gear.Server.Tests.Grpc;

[TestClass]
public sealed class GrpcTlsTests
{
    private static X509Certificate2 _certificate = null!;
    private static GrpcTestServer _server = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _)
    {
        _certificate = TestPki.SelfSignedServerCertificate();
        _server = await GrpcTestServer.StartAsync(new EchoService().Register, certificate: _certificate);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await _server.DisposeAsync();
        _certificate.Dispose();
    }

    [TestMethod]
    public async Task CallsWorkOverTlsWhenTheCallbackAcceptsTheCertificate()
    {
        string? seenSubject = null;
        using var channel = GrpcChannel.ForAddress(_server.Address, new GrpcChannelOptions
        {
            ServerCertificateValidationCallback = (_, certificate, _, _) =>
            {
                seenSubject = certificate?.Subject;
                return certificate?.GetCertHashString() == _certificate.GetCertHashString();
            },
        });

        EchoResponse response = await channel.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "secure" });
        using var call = channel.DuplexStreaming(EchoService.Duplex);
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "d" });
        Assert.IsTrue(await call.ResponseStream.MoveNext());
        await call.RequestStream.CompleteAsync();
        Assert.IsFalse(await call.ResponseStream.MoveNext());

        Assert.AreEqual("secure", response.Text);
        Assert.AreEqual("CN=gear-test", seenSubject);
    }

    [TestMethod]
    public async Task ServerStreamingCallsNegotiateHttp2OverTlsOnTheirOwnConnection()
    {
        var checkedCertificates = 0;
        using var channel = GrpcChannel.ForAddress(_server.Address, new GrpcChannelOptions
        {
            ServerCertificateValidationCallback = (_, certificate, _, _) =>
            {
                Interlocked.Increment(ref checkedCertificates);
                return certificate?.GetCertHashString() == _certificate.GetCertHashString();
            },
        });

        using var call = channel.ServerStreaming(EchoService.ServerStream, new EchoRequest { Text = "s", Repeat = 3 });
        var texts = new List<string>();
        while (await call.ResponseStream.MoveNext()) texts.Add(call.ResponseStream.Current.Text);

        CollectionAssert.AreEqual(new[] { "s", "s", "s" }, texts);
        Assert.AreEqual(1, checkedCertificates, "the stream's own connection checked the certificate");
    }

    [TestMethod]
    public async Task AnUntrustedCertificateFailsAServerStreamUnavailable()
    {
        using var channel = GrpcChannel.ForAddress(_server.Address);
        using var call = channel.ServerStreaming(EchoService.ServerStream, new EchoRequest { Repeat = 1 });

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.AreEqual(StatusCode.Unavailable, error.StatusCode, error.Status.Detail);
    }

    [TestMethod]
    public async Task UntrustedCertificateFailsUnavailable()
    {
        using var channel = GrpcChannel.ForAddress(_server.Address);

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary, new EchoRequest()));

        Assert.AreEqual(StatusCode.Unavailable, error.StatusCode, error.Status.Detail);
    }

    [TestMethod]
    public async Task Http11OverTlsGets426FromTheHost()
    {
        using var client = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_server.Address, EchoService.Unary.FullName))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(GrpcHttpLevelTests.Frame(new EchoRequest())),
        };
        request.Content.Headers.TryAddWithoutValidation("content-type", "application/grpc");

        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.AreEqual(HttpStatusCode.UpgradeRequired, response.StatusCode);
        Assert.AreEqual("h2", string.Join(",", response.Headers.Upgrade));
    }
}
