using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
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

    /// <summary>
    /// The largest frame payload the server accepts, and (capped by what the client advertises) the largest it
    /// sends: 1 MiB. Kestrel sends DATA in frames of at most the smaller of the two, so with the default 16 KiB a
    /// 7 MB SampleStream reply is 440 frames, each parsed and copied on its own by the client; with 1 MiB a client
    /// that accepts large frames (Gear's learner stream) receives each reply in a few large reads. It also
    /// bounds what Kestrel buffers for one incoming frame.
    /// </summary>
    public const int MaxFrameSize = 1024 * 1024;

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
        http2.MaxFrameSize = MaxFrameSize;
        http2.KeepAlivePingDelay = keepAlivePingDelay ?? TimeSpan.FromSeconds(60);
        http2.KeepAlivePingTimeout = keepAlivePingTimeout ?? TimeSpan.FromSeconds(20);
        // Streams are long and bodies unbounded; the per-request limits are lifted in GrpcServiceHost,
        // these are the defaults for requests that never reach it.
        options.Limits.MinRequestBodyDataRate = null;
        options.Limits.MinResponseDataRate = null;
    }

    /// <summary>
    /// Sets a cleartext endpoint to HTTP/2 only, which gRPC clients reach with prior knowledge (h2c).
    /// Kestrel cannot serve both HTTP/1.1 and h2c on one cleartext port: with Http1AndHttp2 and no TLS it
    /// speaks HTTP/1.1 only, and answers an HTTP/2 preface with GOAWAY HTTP_1_1_REQUIRED. So an HTTP/1.1
    /// client on this port never reaches <see cref="GrpcServiceHost"/>; Kestrel closes its connection
    /// (see GrpcHttpLevelTests for what such a client sees).
    /// </summary>
    public static void ConfigureListener(ListenOptions listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        listen.Protocols = HttpProtocols.Http2;
    }

    /// <summary>
    /// Sets a TLS endpoint with <paramref name="certificate"/>: ALPN offers h2 and http/1.1, so gRPC clients
    /// get HTTP/2 and an HTTP/1.1 client reaches <see cref="GrpcServiceHost"/>, which answers 426.
    /// </summary>
    public static void ConfigureListener(ListenOptions listen, X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(certificate);
        listen.Protocols = HttpProtocols.Http1AndHttp2;
        listen.UseHttps(certificate);
    }
}
