using System.Buffers.Binary;
using Gear.Protocol.Grpc;
using Gear.Protocol.Grpc.Http2;
using Gear.Protocol.V1;
using Google.Protobuf;

namespace Gear.Protocol.Tests.Grpc;

/// <summary>
/// The client's own HTTP/2 connection for server-streaming calls, against a server scripted frame by frame.
/// (The gRPC behaviour against Kestrel — deadlines, cancellation, Trailers-Only, auth — is covered by the
/// server's gRPC tests, which make their server-streaming calls through this connection too.)
/// </summary>
[TestClass]
public sealed class SingleCallConnectionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static SampleResponse Reply(int sequence, int columnBytes) => new()
    {
        Sequence = (ulong)sequence,
        BatchSize = 1,
        Columns = { ByteString.CopyFrom(Enumerable.Range(0, columnBytes).Select(i => (byte)(i * 7 + sequence)).ToArray()) },
    };

    private static AsyncServerStreamingCall<SampleResponse> Call(GrpcChannel channel, string table = "t") =>
        channel.ServerStreaming(ReplayMethods.SampleStream, new SampleStreamRequest { Sample = new SampleRequest { Table = table, BatchSize = 1 } });

    [TestMethod]
    public async Task MessagesSplitAcrossPaddedFramesArriveWholeAndTheStatusComesFromTheTrailers()
    {
        await using var server = new ScriptedHttp2Server();
        using var channel = GrpcChannel.ForAddress(server.Address);
        using var call = Call(channel);
        await server.AcceptAsync();
        List<ScriptedHttp2Server.Frame> opening = await server.ReadRequestAsync();

        // The client asks for the largest frames and its configured window, and sends one request message.
        Dictionary<Http2Setting, uint> settings = opening.First(f => f.Header.Type == Http2FrameType.Settings).Settings();
        Assert.AreEqual((uint)Http2FrameHeader.MaxAllowedFrameSize, settings[Http2Setting.MaxFrameSize]);
        Assert.AreEqual((uint)channel.Options.InitialStreamWindowSize, settings[Http2Setting.InitialWindowSize]);
        Assert.AreEqual(0u, settings[Http2Setting.EnablePush]);
        var request = SampleStreamRequest.Parser.ParseFrom(opening[^1].Payload.AsSpan(5));
        Assert.AreEqual("t", request.Sample.Table);

        var first = Reply(1, 70_000);
        var second = Reply(2, 10);
        byte[] bytes = [.. ScriptedHttp2Server.Framed(first), .. ScriptedHttp2Server.Framed(second)];
        await server.SendResponseHeadersAsync();
        // A header split after 3 bytes, a padded frame, a frame that ends one message and starts the next.
        int[] cuts = [3, 40_000, 70_010, bytes.Length];
        for (int at = 0, i = 0; i < cuts.Length; at = cuts[i++])
            await server.SendDataAsync(bytes.AsSpan(at, cuts[i] - at), padding: i == 1 ? 200 : 0);
        await server.SendTrailersAsync(StatusCode.OK);

        Assert.IsTrue(await call.ResponseStream.MoveNext());
        Assert.AreEqual(first, call.ResponseStream.Current);
        Assert.IsTrue(await call.ResponseStream.MoveNext());
        Assert.AreEqual(second, call.ResponseStream.Current);
        Assert.IsFalse(await call.ResponseStream.MoveNext());
        Assert.AreEqual(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [TestMethod]
    public async Task APingIsAnsweredWhileTheReaderIsAwayAndItsDataWaitsForIt()
    {
        await using var server = new ScriptedHttp2Server();
        using var channel = GrpcChannel.ForAddress(server.Address);
        using var call = Call(channel);
        await server.AcceptAsync();
        await server.ReadRequestAsync();
        var reply = Reply(7, 100_000);
        await server.SendResponseHeadersAsync();
        await server.SendDataAsync(ScriptedHttp2Server.Framed(reply));
        var ping = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(ping, 0x0123456789ABCDEF);
        await server.SendAsync(Http2FrameType.Ping, Http2FrameFlags.None, 0, ping);

        // Nobody calls MoveNext: the loop queues the DATA and goes on to the PING.
        ScriptedHttp2Server.Frame ack = await server.ReadUntilAsync(Http2FrameType.Ping, Http2FrameFlags.Ack);
        CollectionAssert.AreEqual(ping, ack.Payload);

        await server.SendTrailersAsync(StatusCode.OK);
        Assert.IsTrue(await call.ResponseStream.MoveNext());
        Assert.AreEqual(reply, call.ResponseStream.Current);
        Assert.IsFalse(await call.ResponseStream.MoveNext());
    }

    [TestMethod]
    public async Task WhatTheReaderConsumesIsGivenBackSoTheServerCanSendMoreThanOneWindow()
    {
        await using var server = new ScriptedHttp2Server();
        using var channel = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { InitialStreamWindowSize = 65_535 });
        using var call = Call(channel);
        await server.AcceptAndAnswerAsync();

        long credited = 0;
        for (var i = 0; i < 6; i++)
        {
            var reply = Reply(i, 30_000);
            await server.SendDataAsync(ScriptedHttp2Server.Framed(reply));
            Assert.IsTrue(await call.ResponseStream.MoveNext());
            Assert.AreEqual(reply, call.ResponseStream.Current);
        }
        // 6 × 30 kB is almost three windows: it only arrived because the client gave them back.
        while (credited < 6 * 30_000 - 65_535)
        {
            ScriptedHttp2Server.Frame update = await server.ReadUntilAsync(Http2FrameType.WindowUpdate);
            if (update.Header.StreamId == 1) credited += update.ReadUInt32(0);
        }
        await server.SendTrailersAsync(StatusCode.OK);
        Assert.IsFalse(await call.ResponseStream.MoveNext());
    }

    [TestMethod]
    public async Task DataBeyondTheWindowIsAFlowControlErrorThatEndsTheConnection()
    {
        await using var server = new ScriptedHttp2Server();
        using var channel = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { InitialStreamWindowSize = 65_535 });
        using var call = Call(channel);
        await server.AcceptAndAnswerAsync();
        var data = new byte[40_000];
        data[2] = 1; // a message of 65,536 bytes: the reader waits for all of it
        await server.SendDataAsync(data);
        await server.SendDataAsync(new byte[40_000]);

        // Nothing was read (so nothing given back) when the second frame came: the client ends the connection.
        ScriptedHttp2Server.Frame goAway = await server.ReadUntilAsync(Http2FrameType.GoAway);
        Assert.AreEqual((uint)Http2ErrorCode.FlowControlError, goAway.ReadUInt32(4));
        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.AreEqual(StatusCode.Internal, error.StatusCode);
        StringAssert.Contains(error.Status.Detail, "65535-byte window");
    }

    [DataTestMethod]
    [DataRow(0x7u, StatusCode.Unavailable)]  // REFUSED_STREAM
    [DataRow(0x8u, StatusCode.Cancelled)]    // CANCEL
    [DataRow(0x2u, StatusCode.Internal)]     // INTERNAL_ERROR
    public async Task AResetStreamEndsTheCallWithTheMappedStatus(uint errorCode, StatusCode expected)
    {
        await using var server = new ScriptedHttp2Server();
        using var channel = GrpcChannel.ForAddress(server.Address);
        using var call = Call(channel);
        await server.AcceptAndAnswerAsync();
        var code = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(code, errorCode);
        await server.SendAsync(Http2FrameType.RstStream, Http2FrameFlags.None, 1, code);

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.AreEqual(expected, error.StatusCode, error.Status.Detail);
        StringAssert.Contains(error.Status.Detail, $"error code {errorCode}");
    }

    [TestMethod]
    public async Task AGoAwayThatLeavesTheStreamOutIsUnavailableSoTheCallCanBeMadeAgain()
    {
        await using var server = new ScriptedHttp2Server();
        using var channel = GrpcChannel.ForAddress(server.Address);
        using var call = Call(channel);
        await server.AcceptAsync();
        await server.ReadRequestAsync();
        byte[] goAway = [0, 0, 0, 0, 0, 0, 0, 0, .. "going away"u8];
        await server.SendAsync(Http2FrameType.GoAway, Http2FrameFlags.None, 0, goAway);

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.AreEqual(StatusCode.Unavailable, error.StatusCode);
        StringAssert.Contains(error.Status.Detail, "going away");
    }

    [TestMethod]
    public async Task AServerThatStopsAnsweringPingsFailsTheCallAsUnavailable()
    {
        await using var server = new ScriptedHttp2Server();
        using var channel = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions
        {
            KeepAlivePingDelay = TimeSpan.FromSeconds(1),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(1),
        });
        using var call = Call(channel);
        await server.AcceptAndAnswerAsync();

        Task<bool> next = call.ResponseStream.MoveNext();
        await server.ReadUntilAsync(Http2FrameType.Ping); // sent, never answered
        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => next.WaitAsync(Patience));
        Assert.AreEqual(StatusCode.Unavailable, error.StatusCode);
        StringAssert.Contains(error.Status.Detail, "keepalive PING");
    }

    [TestMethod]
    public async Task ARequestLargerThanAFrameIsSentInFramesTheServerAllowsAndWithinItsWindow()
    {
        await using var server = new ScriptedHttp2Server();
        using var channel = GrpcChannel.ForAddress(server.Address);
        string table = new('x', 100_000);
        using var call = Call(channel, table);
        await server.AcceptAsync();
        var data = new List<ScriptedHttp2Server.Frame>();
        // The default window (65,535) holds part of the request; more comes after the server's WINDOW_UPDATE.
        int received = 0;
        while (received < Http2FrameHeader.DefaultWindowSize)
        {
            ScriptedHttp2Server.Frame frame = await server.ReadUntilAsync(Http2FrameType.Data);
            data.Add(frame);
            received += frame.Payload.Length;
        }
        Assert.AreEqual(Http2FrameHeader.DefaultWindowSize, received, "no more than the window before an update");
        var increment = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(increment, 1_000_000);
        await server.SendAsync(Http2FrameType.WindowUpdate, Http2FrameFlags.None, 0, increment);
        await server.SendAsync(Http2FrameType.WindowUpdate, Http2FrameFlags.None, 1, increment);
        do data.Add(await server.ReadUntilAsync(Http2FrameType.Data));
        while (!data[^1].Header.Has(Http2FrameFlags.EndStream));

        Assert.IsTrue(data.All(f => f.Payload.Length <= Http2FrameHeader.DefaultMaxFrameSize));
        byte[] body = [.. data.SelectMany(f => f.Payload)];
        Assert.AreEqual(table, SampleStreamRequest.Parser.ParseFrom(body.AsSpan(5)).Sample.Table);
        call.Dispose();
    }

    [TestMethod]
    public async Task HeadersAndTrailersSplitIntoContinuationFramesAreJoined()
    {
        await using var server = new ScriptedHttp2Server();
        using var channel = GrpcChannel.ForAddress(server.Address);
        using var call = Call(channel);
        await server.AcceptAsync();
        await server.ReadRequestAsync();
        byte[] head = ScriptedHttp2Server.HeaderBlock((":status", "200"), ("content-type", "application/grpc"), ("x-long", new string('h', 3000)));
        await server.SendAsync(Http2FrameType.Headers, Http2FrameFlags.None, 1, head.AsSpan(0, 1000));
        await server.SendAsync(Http2FrameType.Continuation, Http2FrameFlags.None, 1, head.AsSpan(1000, 1000));
        await server.SendAsync(Http2FrameType.Continuation, Http2FrameFlags.EndHeaders, 1, head.AsSpan(2000));
        var reply = Reply(3, 10);
        await server.SendDataAsync(ScriptedHttp2Server.Framed(reply));
        byte[] tail = ScriptedHttp2Server.HeaderBlock(("grpc-status", "0"), ("x-trailer", new string('t', 500)));
        await server.SendAsync(Http2FrameType.Headers, Http2FrameFlags.EndStream, 1, tail.AsSpan(0, 7));
        await server.SendAsync(Http2FrameType.Continuation, Http2FrameFlags.EndHeaders, 1, tail.AsSpan(7));

        Assert.IsTrue(await call.ResponseStream.MoveNext());
        Assert.AreEqual(reply, call.ResponseStream.Current);
        Assert.IsFalse(await call.ResponseStream.MoveNext());
        Assert.AreEqual(3000, (await call.ResponseHeadersAsync).GetValue("x-long")!.Length);
        Assert.AreEqual(500, call.GetTrailers().GetValue("x-trailer")!.Length);
    }

    [TestMethod]
    public async Task AFrameInsideAHeaderBlockIsAProtocolError()
    {
        await using var server = new ScriptedHttp2Server();
        using var channel = GrpcChannel.ForAddress(server.Address);
        using var call = Call(channel);
        await server.AcceptAsync();
        await server.ReadRequestAsync();
        byte[] head = ScriptedHttp2Server.HeaderBlock((":status", "200"), ("content-type", "application/grpc"));
        await server.SendAsync(Http2FrameType.Headers, Http2FrameFlags.None, 1, head.AsSpan(0, 2));
        await server.SendAsync(Http2FrameType.Ping, Http2FrameFlags.None, 0, new byte[8]);

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.AreEqual(StatusCode.Internal, error.StatusCode);
        StringAssert.Contains(error.Status.Detail, "interrupted");
    }

    [TestMethod]
    public async Task DataOnAStreamTheClientNeverOpenedIsAProtocolError()
    {
        await using var server = new ScriptedHttp2Server();
        using var channel = GrpcChannel.ForAddress(server.Address);
        using var call = Call(channel);
        await server.AcceptAndAnswerAsync();
        await server.SendAsync(Http2FrameType.Data, Http2FrameFlags.None, 3, new byte[10]);

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.AreEqual(StatusCode.Internal, error.StatusCode);
        StringAssert.Contains(error.Status.Detail, "stream 3");
        ScriptedHttp2Server.Frame goAway = await server.ReadUntilAsync(Http2FrameType.GoAway);
        Assert.AreEqual((uint)Http2ErrorCode.ProtocolError, goAway.ReadUInt32(4));
    }

    [TestMethod]
    public async Task AServerThatAnswersInHttp11IsUnavailableWithAMessageThatSaysSo()
    {
        await using var server = new ScriptedHttp2Server();
        using var channel = GrpcChannel.ForAddress(server.Address);
        using var call = Call(channel);
        await server.AcceptAsync(sendSettings: false);
        await server.SendRawAsync("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"u8.ToArray());

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.AreEqual(StatusCode.Unavailable, error.StatusCode);
        StringAssert.Contains(error.Status.Detail, "did not answer with HTTP/2");
    }

    [TestMethod]
    public async Task CancellingTheCallResetsTheStream()
    {
        await using var server = new ScriptedHttp2Server();
        using var channel = GrpcChannel.ForAddress(server.Address);
        using var cancel = new CancellationTokenSource();
        using var call = channel.ServerStreaming(ReplayMethods.SampleStream, new SampleStreamRequest(), new CallOptions(CancellationToken: cancel.Token));
        await server.AcceptAndAnswerAsync();
        Task<bool> next = call.ResponseStream.MoveNext();

        cancel.Cancel();

        var error = await Assert.ThrowsExceptionAsync<RpcException>(() => next.WaitAsync(Patience));
        Assert.AreEqual(StatusCode.Cancelled, error.StatusCode);
        ScriptedHttp2Server.Frame reset = await server.ReadUntilAsync(Http2FrameType.RstStream);
        Assert.AreEqual((uint)Http2ErrorCode.Cancel, reset.ReadUInt32(0));
    }
}
