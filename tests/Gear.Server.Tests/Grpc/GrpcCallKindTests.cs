using Gear.Protocol.Grpc;
using Gear.Server.Tests.Protos;
using Google.Protobuf;

namespace Gear.Server.Tests.Grpc;

[TestClass]
public sealed class GrpcCallKindTests
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
    public async Task UnaryEchoesTheRequest()
    {
        EchoResponse response = await _echo.Channel.UnaryAsync(EchoService.Unary,
            new EchoRequest { Text = "hello", Payload = ByteString.CopyFrom(1, 2, 3) });

        Assert.AreEqual("hello", response.Text);
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, response.Payload.ToByteArray());
    }

    [TestMethod]
    public async Task UnaryWithAnEmptyMessageWorks()
    {
        // A zero-length message is a valid frame (prefix only) in both directions.
        EchoResponse response = await _echo.Channel.UnaryAsync(EchoService.Unary, new EchoRequest());

        Assert.AreEqual(string.Empty, response.Text);
        Assert.AreEqual(0, response.Index);
    }

    [TestMethod]
    public async Task ServerStreamingDeliversEveryResponseInOrderThenOk()
    {
        using var call = _echo.Channel.ServerStreaming(EchoService.ServerStream, new EchoRequest { Text = "s", Repeat = 50 });
        var indexes = new List<int>();
        while (await call.ResponseStream.MoveNext()) indexes.Add(call.ResponseStream.Current.Index);

        CollectionAssert.AreEqual(Enumerable.Range(0, 50).ToList(), indexes);
        Assert.AreEqual(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [TestMethod]
    public async Task ServerStreamingWithNoResponsesEndsOk()
    {
        using var call = _echo.Channel.ServerStreaming(EchoService.ServerStream, new EchoRequest { Repeat = 0 });

        Assert.IsFalse(await call.ResponseStream.MoveNext());
        Assert.AreEqual(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [TestMethod]
    public async Task ClientStreamingReadsEveryRequest()
    {
        using var call = _echo.Channel.ClientStreaming(EchoService.ClientStream);
        for (int i = 0; i < 20; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = i.ToString(), Payload = ByteString.CopyFrom(new byte[100]) });
        }
        await call.RequestStream.CompleteAsync();
        EchoResponse response = await call.ResponseAsync;

        Assert.AreEqual(20, response.Count);
        Assert.AreEqual(string.Concat(Enumerable.Range(0, 20)), response.Text);
        Assert.AreEqual(2000, response.Index, "total payload bytes the server read");
    }

    [TestMethod]
    public async Task ClientStreamingWithNoRequestsGetsAResponse()
    {
        using var call = _echo.Channel.ClientStreaming(EchoService.ClientStream);
        await call.RequestStream.CompleteAsync();

        Assert.AreEqual(0, (await call.ResponseAsync).Count);
    }

    [TestMethod]
    public async Task DuplexIsTrulyInterleaved()
    {
        // Each response is read before the next request is written: this only completes if requests and
        // responses flow independently on the one HTTP/2 stream.
        using var call = _echo.Channel.DuplexStreaming(EchoService.Duplex);
        for (int i = 0; i < 10; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = "ping" + i });
            Assert.IsTrue(await call.ResponseStream.MoveNext());
            Assert.AreEqual("ping" + i, call.ResponseStream.Current.Text);
            Assert.AreEqual(i, call.ResponseStream.Current.Index);
        }
        await call.RequestStream.CompleteAsync();

        Assert.IsFalse(await call.ResponseStream.MoveNext());
        Assert.AreEqual(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [TestMethod]
    public async Task EightMebibyteMessagesRoundTripBothWays()
    {
        byte[] payload = new byte[8 * 1024 * 1024];
        new Random(42).NextBytes(payload);

        EchoResponse response = await _echo.Channel.UnaryAsync(EchoService.Unary, new EchoRequest { Payload = ByteString.CopyFrom(payload) });

        Assert.AreEqual(payload.Length, response.Payload.Length);
        Assert.IsTrue(response.Payload.Span.SequenceEqual(payload), "payload came back altered");
    }

    [TestMethod]
    public async Task EightMebibyteMessagesStreamBothWays()
    {
        byte[] payload = new byte[8 * 1024 * 1024];
        new Random(7).NextBytes(payload);
        using var call = _echo.Channel.DuplexStreaming(EchoService.Duplex);
        for (int i = 0; i < 3; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Payload = ByteString.CopyFrom(payload) });
            Assert.IsTrue(await call.ResponseStream.MoveNext());
            Assert.IsTrue(call.ResponseStream.Current.Payload.Span.SequenceEqual(payload));
        }
        await call.RequestStream.CompleteAsync();
        Assert.IsFalse(await call.ResponseStream.MoveNext());
    }

    [TestMethod]
    public async Task ManyConcurrentCallsShareTheChannel()
    {
        Task<EchoResponse>[] calls = Enumerable.Range(0, 64)
            .Select(i => _echo.Channel.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "c" + i }))
            .ToArray();
        EchoResponse[] responses = await Task.WhenAll(calls);

        CollectionAssert.AreEqual(Enumerable.Range(0, 64).Select(i => "c" + i).ToList(), responses.Select(r => r.Text).ToList());
    }
}
