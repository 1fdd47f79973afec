using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gear.Server.Grpc;

/// <summary>Kestrel settings for serving gRPC: HTTP/2 windows, keepalive pings, stream limits, protocols.</summary>
public static class GrpcKestrel
{
    /// <summary>
    /// Each stream's receive window (16 MiB): a multi-megabyte insert batch flows without waiting a round
    /// trip for every 768 KiB (Kestrel's default window) of it.
    /// </summary>
    public const int StreamWindowSize = 16 * 1024 * 1024;

    /// <summary>
    /// The connection's receive window (64 MiB): several streams at full speed. It also caps what Kestrel
    /// buffers per connection for request bodies the handlers have not read yet.
    /// </summary>
    public const int ConnectionWindowSize = 64 * 1024 * 1024;

    /// <summary>Concurrent calls per connection (256); a client opens another connection beyond that.</summary>
    public const int MaxStreamsPerConnection = 256;

    /// <summary>
    /// Sets Kestrel's HTTP/2 limits for gRPC. Keepalive: after <paramref name="keepAlivePingDelay"/> (default
    /// 60 s) without frames the server pings, and closes the connection if no answer comes within
    /// <paramref name="keepAlivePingTimeout"/> (default 20 s), so calls of vanished clients get cancelled.
    /// </summary>
    public static void ConfigureLimits(KestrelServerOptions options, TimeSpan? keepAlivePingDelay = null, TimeSpan? keepAlivePingTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Http2Limits http2 = options.Limits.Http2;
        http2.InitialConnectionWindowSize = ConnectionWindowSize;
        http2.InitialStreamWindowSize = StreamWindowSize;
        http2.MaxStreamsPerConnection = MaxStreamsPerConnection;
        http2.KeepAlivePingDelay = keepAlivePingDelay ?? TimeSpan.FromSeconds(60);
        http2.KeepAlivePingTimeout = keepAlivePingTimeout ?? TimeSpan.FromSeconds(20);
        // Streams are long and bodies unbounded; the per-request limits are lifted in GrpcServiceHost,
        // these are the defaults for requests that never reach it.
        options.Limits.MinRequestBodyDataRate = null;
        options.Limits.MinResponseDataRate = null;
    }

    /// <summary>
    /// Lets one endpoint take HTTP/2 (what gRPC needs) and HTTP/1.1 (which then gets 426 Upgrade Required
    /// from <see cref="GrpcServiceHost"/> instead of a connection error). On cleartext, Kestrel tells the two
    /// apart by the HTTP/2 connection preface (prior knowledge); on TLS, by ALPN.
    /// </summary>
    public static void ConfigureListener(ListenOptions listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        listen.Protocols = HttpProtocols.Http1AndHttp2;
    }
}
