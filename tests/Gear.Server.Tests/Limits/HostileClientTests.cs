using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Configuration;
using Gear.Server.Tests.Configuration;
using Gear.Tests.Shared;

namespace Gear.Server.Tests.Limits;

/// <summary>
/// A real <c>gear serve</c> against clients that try to exhaust it: more streams than a connection may open,
/// header floods, and slowloris connections on the admin port. Each gets a defined refusal, and the server keeps
/// answering well-behaved callers meanwhile.
/// </summary>
[TestClass]
public sealed class HostileClientTests
{
    private const int StreamLimit = 2;
    private const int HeadersTimeoutSeconds = 1;

    /// <summary>HTTP/2 error codes (RFC 9113 section 7) a server may close a flooding connection with.</summary>
    private static readonly uint[] FloodErrors = [0x1 /* PROTOCOL_ERROR */, 0x9 /* COMPRESSION_ERROR */, 0xB /* ENHANCE_YOUR_CALM */];

    private static TempDirectory _directory = null!;
    private static GearProcess _gear = null!;

    [ClassInitialize]
    public static async Task Start(TestContext _)
    {
        _directory = new TempDirectory();
        var config = _directory.Write("gear.json",
            $$"""{ "limits": { "maxConcurrentStreamsPerConnection": {{StreamLimit}}, "requestHeadersTimeoutSeconds": {{HeadersTimeoutSeconds}} } }""");
        _gear = await GearProcess.StartReadyAsync("--config", config);
    }

    [ClassCleanup]
    public static void Stop()
    {
        _gear.Dispose();
        _directory.Dispose();
    }

    [TestMethod]
    public async Task StreamsBeyondTheConnectionsLimitAreRefused()
    {
        var (connection, settings) = await RawHttp2Connection.OpenAsync(_gear.GrpcAddress);
        using (connection)
        {
            Assert.AreEqual((uint)StreamLimit, settings.GetValueOrDefault(RawHttp2Connection.MaxConcurrentStreamsSetting), "the limit is announced");
            // Insert streams stay open while their request body does: each holds one of the connection's streams.
            var streams = Enumerable.Range(0, StreamLimit + 1).Select(i => 1 + 2 * i).ToArray();
            foreach (var stream in streams)
                await connection.OpenStreamAsync(stream, ReplayMethods.InsertStream.FullName);

            var reset = await connection.ReadUntilAsync(f => f.Type is RawHttp2Connection.FrameType.RstStream or RawHttp2Connection.FrameType.GoAway, TimeSpan.FromSeconds(10));

            Assert.IsNotNull(reset, "the stream beyond the limit is answered");
            Assert.AreEqual(RawHttp2Connection.FrameType.RstStream, reset.Type, "only that stream is refused, not the connection");
            Assert.AreEqual(streams[^1], reset.StreamId);
            Assert.AreEqual(0x7u, reset.ErrorCode, "REFUSED_STREAM: the client may retry it elsewhere");
        }
        await AssertServingAsync();
    }

    [TestMethod]
    [DataRow(1, 1024 * 1024, DisplayName = "one header of 1 MiB")]
    [DataRow(5000, 8, DisplayName = "5000 small headers")]
    [DataRow(ServerLimits.MaxRequestHeaderCount + 1, 8, DisplayName = "one header more than allowed")]
    public async Task HeaderFloodsAreRefusedWithBoundedMemory(int count, int valueBytes)
    {
        var before = await ServerMemoryAsync();
        for (var attempt = 0; attempt < 30; attempt++)
        {
            var (connection, _) = await RawHttp2Connection.OpenAsync(_gear.GrpcAddress);
            using (connection)
            {
                var value = new string('v', valueBytes);
                try
                {
                    await connection.OpenStreamAsync(1, ReplayMethods.GetServerInfo.FullName, Enumerable.Range(0, count).Select(i => ($"x-flood-{i}", value)));
                }
                catch (IOException)
                {
                    // The server closed the connection before the whole flood was written: that is the refusal.
                }
                var answer = await connection.ReadUntilAsync(
                    f => f.Type is RawHttp2Connection.FrameType.GoAway or RawHttp2Connection.FrameType.RstStream or RawHttp2Connection.FrameType.Headers,
                    TimeSpan.FromSeconds(10));

                // Too many headers within the size limit is refused on the stream (431); a block too large to decode
                // ends the connection with an HTTP/2 error, or with a reset that overtook that error.
                if (answer is null)
                {
                    Assert.IsTrue(await connection.IsClosedByPeerAsync(TimeSpan.FromSeconds(10)), "the flood is answered, or its connection closed");
                    continue;
                }
                if (answer.Type == RawHttp2Connection.FrameType.Headers)
                    Assert.AreEqual(431, answer.Status, "Request Header Fields Too Large");
                else
                    CollectionAssert.Contains(FloodErrors, answer.ErrorCode, $"{answer.Type} error code 0x{answer.ErrorCode:x}");
            }
        }
        var after = await ServerMemoryAsync();
        // Thirty floods of up to 1 MiB each (30 MiB sent): a server that kept them would grow by about that much;
        // the margin is for pools and heap the server may keep after serving any traffic.
        Assert.IsTrue(after - before < 16L << 20, $"the server's resident memory grew from {before >> 20} MiB to {after >> 20} MiB");
        await AssertServingAsync();
    }

    [TestMethod]
    public async Task SlowlorisConnectionsOnTheAdminPortAreClosedWhileOthersAreServed()
    {
        var admin = _gear.AdminAddress;
        var slow = new List<Socket>();
        try
        {
            for (var i = 0; i < 50; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(admin.Host, admin.Port);
                await socket.SendAsync(Encoding.ASCII.GetBytes("GET /healthz HTTP/1.1\r\nHost: a\r\nX-Slow: "));
                slow.Add(socket);
            }
            var clock = Stopwatch.StartNew();
            var open = slow.ToList();
            using var http = new HttpClient { BaseAddress = admin, Timeout = TimeSpan.FromSeconds(2) };
            while (open.Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(HeadersTimeoutSeconds + 8))
            {
                // One more header byte per connection every 200 ms: never finishing, never idle.
                foreach (var socket in open.ToArray())
                {
                    if (await IsClosedAsync(socket))
                        open.Remove(socket);
                }
                Assert.AreEqual("ok\n", await http.GetStringAsync("/healthz"), "the admin port answers others during the attack");
                await Task.Delay(200);
            }

            Assert.AreEqual(0, open.Count, $"{open.Count} of {slow.Count} slow connections still open after {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.IsTrue(clock.Elapsed >= TimeSpan.FromSeconds(HeadersTimeoutSeconds * 0.9), "they were closed by the timeout, not at once");
        }
        finally
        {
            foreach (var socket in slow)
                socket.Dispose();
        }
    }

    /// <summary>Sends one more header byte; true once the server has closed the connection (end of stream, a reset, or a 408 reply).</summary>
    private static async Task<bool> IsClosedAsync(Socket socket)
    {
        try
        {
            if (socket.Available > 0 || socket.Poll(0, SelectMode.SelectRead))
            {
                var buffer = new byte[4096];
                var read = await socket.ReceiveAsync(buffer);
                return read == 0 || Encoding.ASCII.GetString(buffer, 0, read).StartsWith("HTTP/1.1 408", StringComparison.Ordinal);
            }
            await socket.SendAsync("x"u8.ToArray());
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    private static async Task AssertServingAsync()
    {
        using var channel = GrpcChannel.ForAddress(_gear.GrpcAddress);
        var info = await channel.UnaryAsync(ReplayMethods.GetServerInfo, new GetServerInfoRequest());
        Assert.IsFalse(string.IsNullOrEmpty(info.Version), "the server still answers gRPC");
    }

    /// <summary>The server's resident memory after a full garbage collection is not available from outside, so RSS it is (read from /proc).</summary>
    private static async Task<long> ServerMemoryAsync()
    {
        await Task.Delay(200); // let the server finish closing the last connection
        return Gear.Server.Bench.Soak.ServerObserver.ResidentBytes(_gear.ProcessId);
    }
}
