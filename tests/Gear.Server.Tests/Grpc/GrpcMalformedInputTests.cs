using Gear.Protocol.Grpc;
using Gear.Server.Tests.Protos;
using Google.Protobuf;

namespace Gear.Server.Tests.Grpc;

/// <summary>Bytes no well-behaved client sends: each gets the right status, and the server keeps serving.</summary>
[TestClass]
public sealed class GrpcMalformedInputTests
{
    private static EchoFixture _echo = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _)
    {
        _echo = await EchoFixture.StartAsync(options => options.MaxReceiveMessageSize = 1024 * 1024);
    }

    [ClassCleanup]
    public static async Task StopAsync() => await _echo.DisposeAsync();

    [TestMethod]
    public async Task RandomBytesAreInternal()
    {
        byte[] garbage = new byte[300];
        new Random(1234).NextBytes(garbage);
        garbage[0] = 0x7F; // a flag that is neither 0 nor 1, whatever the seed gives

        RawResponse response = await _echo.Raw.PostAsync(EchoService.Unary.FullName, garbage);

        Assert.AreEqual("13", response.GrpcStatus, response.GrpcMessage);
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task TruncatedFrameIsInternal()
    {
        byte[] frame = GrpcHttpLevelTests.Frame(new EchoRequest { Text = "this message is cut short" });

        RawResponse response = await _echo.Raw.PostAsync(EchoService.Unary.FullName, frame[..^5]);

        Assert.AreEqual("13", response.GrpcStatus);
        StringAssert.Contains(Uri.UnescapeDataString(response.GrpcMessage!), "middle of a message");
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task TruncatedPrefixIsInternal()
    {
        RawResponse response = await _echo.Raw.PostAsync(EchoService.Unary.FullName, new byte[] { 0, 0, 0 });

        Assert.AreEqual("13", response.GrpcStatus);
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task OversizeLengthPrefixIsRefusedWithoutWaitingForTheBody()
    {
        // The prefix claims 1 GiB and the request then stays open without sending it: only a server that
        // decides on the prefix alone can answer.
        byte[] prefix = new byte[5];
        LengthPrefixedMessage.WriteHeader(prefix, 1 << 30);

        RawResponse response = await _echo.Raw.PostOpenEndedAsync(EchoService.ClientStream.FullName, prefix);

        Assert.AreEqual("8", response.GrpcStatus);
        string detail = Uri.UnescapeDataString(response.GrpcMessage!);
        StringAssert.Contains(detail, (1 << 30).ToString());
        StringAssert.Contains(detail, (1024 * 1024).ToString());
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task GarbageProtobufIsInternalNamingTheParseFailure()
    {
        // A valid frame whose content is not an EchoRequest: field 1 (string) with a length past the end.
        byte[] frame = { 0, 0, 0, 0, 3, 0x0A, 0x7F, 0x41 };

        RawResponse response = await _echo.Raw.PostAsync(EchoService.Unary.FullName, frame);

        Assert.AreEqual("13", response.GrpcStatus);
        StringAssert.Contains(Uri.UnescapeDataString(response.GrpcMessage!), "Failed to parse request message");
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task CompressedFlagWithoutEncodingIsInternal()
    {
        byte[] frame = GrpcHttpLevelTests.Frame(new EchoRequest { Text = "x" });
        frame[0] = 1;

        RawResponse response = await _echo.Raw.PostAsync(EchoService.Unary.FullName, frame);

        Assert.AreEqual("13", response.GrpcStatus);
        StringAssert.Contains(Uri.UnescapeDataString(response.GrpcMessage!), "compressed");
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task UnsupportedGrpcEncodingIsUnimplemented()
    {
        RawResponse response = await _echo.Raw.PostAsync(EchoService.Unary.FullName, GrpcHttpLevelTests.Frame(new EchoRequest()),
            headers: new[] { KeyValuePair.Create("grpc-encoding", "gzip") });

        Assert.AreEqual("12", response.GrpcStatus);
        Assert.AreEqual("identity", response.Headers["grpc-accept-encoding"]);
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task TwoMessagesForAUnaryMethodAreInternal()
    {
        byte[] one = GrpcHttpLevelTests.Frame(new EchoRequest { Text = "a" });

        RawResponse response = await _echo.Raw.PostAsync(EchoService.Unary.FullName, one.Concat(one).ToArray());

        Assert.AreEqual("13", response.GrpcStatus);
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task NoMessageForAUnaryMethodIsInternal()
    {
        RawResponse response = await _echo.Raw.PostAsync(EchoService.Unary.FullName, Array.Empty<byte>());

        Assert.AreEqual("13", response.GrpcStatus);
        await AssertStillServingAsync();
    }

    [TestMethod]
    public async Task MalformedFrameInAStreamEndsThatStreamOnly()
    {
        byte[] good = GrpcHttpLevelTests.Frame(new EchoRequest { Text = "fine" });
        byte[] bad = { 9, 0, 0, 0, 0 };

        RawResponse response = await _echo.Raw.PostAsync(EchoService.Duplex.FullName, good.Concat(bad).ToArray());

        Assert.AreEqual(5 + new EchoResponse { Text = "fine" }.CalculateSize(), response.Body.Length, "the first message was answered");
        Assert.AreEqual("13", response.Trailers["grpc-status"]);
        await AssertStillServingAsync();
    }

    private static async Task AssertStillServingAsync()
    {
        EchoResponse response = await _echo.Channel.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "after" });
        Assert.AreEqual("after", response.Text);
    }
}
