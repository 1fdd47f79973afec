using Gear.Protocol.Grpc;
using Gear.Server.Grpc;
using Gear.Server.Tests.Protos;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gear.Server.Tests.Grpc;

/// <summary>Flow-control windows and keepalive pings.</summary>
[TestClass]
public sealed class GrpcTransportSettingsTests
{
    [TestMethod]
    public void ConfigureLimitsSizesWindowsForMultiMegabyteBatchesAndTurnsOnPings()
    {
        var options = new KestrelServerOptions();

        GrpcKestrel.ConfigureLimits(options, keepAlivePingDelay: TimeSpan.FromSeconds(30), keepAlivePingTimeout: TimeSpan.FromSeconds(10));

        Http2Limits http2 = options.Limits.Http2;
        Assert.IsTrue(http2.InitialStreamWindowSize >= 8 * 1024 * 1024, "a stream window of several MiB");
        Assert.IsTrue(http2.InitialConnectionWindowSize >= http2.InitialStreamWindowSize);
        Assert.AreEqual(TimeSpan.FromSeconds(30), http2.KeepAlivePingDelay);
        Assert.AreEqual(TimeSpan.FromSeconds(10), http2.KeepAlivePingTimeout);
        Assert.IsNull(options.Limits.MinRequestBodyDataRate, "idle streams must not be cut for slowness");
    }

    [TestMethod]
    public void ChannelOptionsRejectAWindowSocketsHttpHandlerCannotUse()
    {
        Assert.ThrowsException<ArgumentOutOfRangeException>(() =>
            GrpcChannel.ForAddress(new Uri("http://127.0.0.1:1"), new GrpcChannelOptions { InitialStreamWindowSize = 1000 }));
        Assert.ThrowsException<ArgumentException>(() => GrpcChannel.ForAddress(new Uri("ftp://127.0.0.1:1")));
    }

    [TestMethod]
    public async Task IdleStreamSurvivesWithFrequentPingsBothWays()
    {
        // Pings every second from both ends while a duplex call idles: answered pings keep the connection;
        // a broken ping exchange would close it and fail the call.
        await using var server = await GrpcTestServer.StartAsync(new EchoService().Register,
            configureKestrel: k =>
            {
                k.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(1);
                k.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(1);
            });
        using var channel = server.CreateChannel(new GrpcChannelOptions
        {
            KeepAlivePingDelay = TimeSpan.FromSeconds(1),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(1),
        });
        using var call = channel.DuplexStreaming(EchoService.Duplex);
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "before" });
        Assert.IsTrue(await call.ResponseStream.MoveNext());

        await Task.Delay(TimeSpan.FromSeconds(2.5));

        await call.RequestStream.WriteAsync(new EchoRequest { Text = "after" });
        Assert.IsTrue(await call.ResponseStream.MoveNext());
        Assert.AreEqual("after", call.ResponseStream.Current.Text);
    }
}
