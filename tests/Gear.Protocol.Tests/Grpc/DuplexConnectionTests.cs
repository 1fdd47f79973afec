using System.Buffers.Binary;
using Gear.Protocol.Grpc;
using Gear.Protocol.Grpc.Http2;
using Gear.Protocol.V1;
using Google.Protobuf;

namespace Gear.Protocol.Tests.Grpc;

/// <summary>
/// Duplex calls on the client's own HTTP/2 connection (an actor's InsertStream), against a server scripted
/// frame by frame: the request's DATA frames, flow control while responses keep arriving, and the end of the
/// call while the client is still writing. (Against Kestrel, every InsertStream test of the server and the
/// client SDK goes through this path too.)
/// </summary>
[TestClass]
public sealed class DuplexConnectionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private const int ServerMaxFrameSize = 20_000;

    private static InsertRequest Append(int columnBytes) => new()
    {
        Append = new AppendSteps
        {
            Table = "t",
            Trajectory = 3,
            StepCount = 1,
            Columns =
            {
                UnsafeByteOperations.UnsafeWrap(Enumerable.Range(0, columnBytes).Select(i => (byte)(i * 13)).ToArray()),
                ByteString.CopyFrom(1, 2, 3, 4),
            },
        },
    };

    private static readonly InsertRequest End = new() { End = new EndTrajectory { Trajectory = 3, Priority = 0.5 } };

    /// <summary>Accepts the call's connection, sends SETTINGS with a small maximum frame, waits until the client has applied them.</summary>
    private static async Task<List<ScriptedHttp2Server.Frame>> AcceptAsync(ScriptedHttp2Server server)
    {
        await server.AcceptAsync(sendSettings: false);
        await server.SendSettingsAsync((Http2Setting.MaxFrameSize, ServerMaxFrameSize));
        var opening = new List<ScriptedHttp2Server.Frame>();
        await server.ReadUntilAsync(Http2FrameType.Settings, Http2FrameFlags.Ack, opening);
        return opening;
    }

    private static async Task<List<ScriptedHttp2Server.Frame>> ReadDataAsync(ScriptedHttp2Server server, int bytes)
    {
        var frames = new List<ScriptedHttp2Server.Frame>();
        for (var received = 0; received < bytes; received += frames[^1].Payload.Length)
            frames.Add(await server.ReadUntilAsync(Http2FrameType.Data));
        return frames;
    }

    private static async Task GrantWindowAsync(ScriptedHttp2Server server, uint bytes)
    {
        var increment = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(increment, bytes);
        await server.SendAsync(Http2FrameType.WindowUpdate, Http2FrameFlags.None, 0, increment);
        await server.SendAsync(Http2FrameType.WindowUpdate, Http2FrameFlags.None, 1, increment);
    }

    [TestMethod]
    public async Task RequestsGoInFramesTheServerAllowsWithinItsWindowWhileResponsesArrive()
    {
        await using var server = new ScriptedHttp2Server();
        using var channel = GrpcChannel.ForAddress(server.Address);
        using var call = channel.DuplexStreaming(ReplayMethods.InsertStream);
        List<ScriptedHttp2Server.Frame> opening = await AcceptAsync(server);
        Assert.IsFalse(opening.Single(f => f.Header.Type == Http2FrameType.Headers).Header.Has(Http2FrameFlags.EndStream),
            "a duplex request stays open after its headers");

        // The append is larger than the default window (65,535): it can only finish after a WINDOW_UPDATE.
        InsertRequest append = Append(100_000);
        Task writes = Task.Run(async () =>
        {
            await call.RequestStream.WriteAsync(append);
            await call.RequestStream.WriteAsync(End);
            await call.RequestStream.CompleteAsync();
        });
        List<ScriptedHttp2Server.Frame> data = await ReadDataAsync(server, Http2FrameHeader.DefaultWindowSize);
        Assert.AreEqual(Http2FrameHeader.DefaultWindowSize, data.Sum(f => f.Payload.Length), "no more than the window before an update");

        // A response gets through to the reader while the writer waits for window.
        var committed = new InsertResponse { Committed = new TrajectoryCommitted { Trajectory = 3, Key = 9, Steps = 1 } };
        await server.SendResponseHeadersAsync();
        await server.SendDataAsync(ScriptedHttp2Server.Framed(committed));
        Assert.IsTrue(await call.ResponseStream.MoveNext().WaitAsync(Patience));
        Assert.AreEqual(committed, call.ResponseStream.Current);
        Assert.IsFalse(writes.IsCompleted, "the write waits for the server's window");

        await GrantWindowAsync(server, 1_000_000);
        do data.Add(await server.ReadUntilAsync(Http2FrameType.Data));
        while (!data[^1].Header.Has(Http2FrameFlags.EndStream));
        await writes.WaitAsync(Patience);

        Assert.IsTrue(data.All(f => f.Payload.Length <= ServerMaxFrameSize), "every frame within the server's maximum frame size");
        Assert.IsTrue(data.Max(f => f.Payload.Length) == ServerMaxFrameSize, "frames as large as the server allows");
        byte[] body = [.. data.SelectMany(f => f.Payload)];
        CollectionAssert.AreEqual(
            ScriptedHttp2Server.Framed(append).Concat(ScriptedHttp2Server.Framed(End)).ToArray(), body, "the two messages, framed, in order");

        await server.SendTrailersAsync(StatusCode.OK);
        Assert.IsFalse(await call.ResponseStream.MoveNext().WaitAsync(Patience));
        Assert.AreEqual(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [TestMethod]
    public async Task AWriteAfterTheServerEndedTheCallThrowsTheServersStatusWithoutAReader()
    {
        await using var server = new ScriptedHttp2Server();
        using var channel = GrpcChannel.ForAddress(server.Address);
        using var call = channel.DuplexStreaming(ReplayMethods.InsertStream);
        await AcceptAsync(server);
        await call.RequestStream.WriteAsync(Append(10)).WaitAsync(Patience);
        await server.ReadUntilAsync(Http2FrameType.Data);

        await server.SendResponseHeadersAsync();
        await server.SendTrailersAsync(StatusCode.InvalidArgument, "column 0 has 10 bytes");

        // Writes go on until the client has read the trailers; then they fail at once with the server's status,
        // though nobody reads the responses.
        RpcException? writeError = null;
        var started = DateTime.UtcNow;
        while (writeError is null && DateTime.UtcNow - started < Patience)
        {
            try
            {
                await call.RequestStream.WriteAsync(Append(10)).WaitAsync(Patience);
                await Task.Delay(5);
            }
            catch (RpcException error)
            {
                writeError = error;
            }
        }
        Assert.IsNotNull(writeError);
        Assert.AreEqual(StatusCode.InvalidArgument, writeError.StatusCode);
        StringAssert.Contains(writeError.Status.Detail, "column 0 has 10 bytes");
        var readError = await Assert.ThrowsExceptionAsync<RpcException>(() => call.ResponseStream.MoveNext().WaitAsync(Patience));
        Assert.AreEqual(StatusCode.InvalidArgument, readError.StatusCode);
    }

    [TestMethod]
    public async Task ASecondWriteOrTheCompletionWhileTheFirstWriteWaitsIsRefused()
    {
        await using var server = new ScriptedHttp2Server();
        using var channel = GrpcChannel.ForAddress(server.Address);
        using var call = channel.DuplexStreaming(ReplayMethods.InsertStream);
        await AcceptAsync(server);
        Task first = call.RequestStream.WriteAsync(Append(100_000));
        await ReadDataAsync(server, Http2FrameHeader.DefaultWindowSize);

        var error = await Assert.ThrowsExceptionAsync<InvalidOperationException>(() => call.RequestStream.WriteAsync(End));
        StringAssert.Contains(error.Message, "one at a time");
        var completing = await Assert.ThrowsExceptionAsync<InvalidOperationException>(() => call.RequestStream.CompleteAsync());
        StringAssert.Contains(completing.Message, "after it");

        await GrantWindowAsync(server, 1_000_000);
        await first.WaitAsync(Patience);
    }
}
