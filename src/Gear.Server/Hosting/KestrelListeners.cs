using System.Net;
using Gear.Server.Admin.Metrics;
using Gear.Server.Configuration;
using Gear.Server.Grpc;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gear.Server.Hosting;

/// <summary>
/// Configures Kestrel for <c>gear serve</c>: the gRPC layer's HTTP/2 limits, the configured stream and
/// connection limits on top, and two listeners (gRPC, admin), each tagged for routing and with TLS when a
/// certificate is configured. Keeps the listen options so the bound addresses can be read after start (port
/// 0 becomes the port the system chose).
/// </summary>
public sealed class KestrelListeners
{
    private readonly ServerConfig _config;
    private readonly GearMetrics? _metrics;
    private ListenOptions? _grpc;
    private ListenOptions? _admin;

    /// <summary>Creates the setup for <paramref name="config"/>; gRPC connections are counted into <paramref name="metrics"/> when given.</summary>
    public KestrelListeners(ServerConfig config, GearMetrics? metrics = null)
    {
        _config = config;
        _metrics = metrics;
    }

    /// <summary>"https" with a certificate, "http" without.</summary>
    public string Scheme => _config.TlsCertificate is null ? "http" : "https";

    /// <summary>The gRPC endpoint as bound (after start), else as configured.</summary>
    public IPEndPoint GrpcEndPoint => _grpc?.IPEndPoint ?? _config.Grpc.EndPoint;

    /// <summary>The admin endpoint as bound (after start), else as configured.</summary>
    public IPEndPoint AdminEndPoint => _admin?.IPEndPoint ?? _config.Admin.EndPoint;

    /// <summary>Applies limits and listeners to Kestrel's options.</summary>
    public void Configure(KestrelServerOptions options)
    {
        options.AddServerHeader = false;
        GrpcKestrel.ConfigureLimits(options);
        // The configured limits win over the gRPC layer's defaults, so they are set after it.
        if (_config.Limits.MaxConcurrentStreamsPerConnection is { } streams)
            options.Limits.Http2.MaxStreamsPerConnection = streams;
        options.Limits.MaxConcurrentConnections = _config.Limits.MaxConnections;
        options.Limits.MaxConcurrentUpgradedConnections = _config.Limits.MaxConnections;
        // Hostile clients: a slowloris connection is closed once its headers take longer than the timeout, and
        // header floods (huge or very many headers) are refused at fixed sizes, so neither holds unbounded memory.
        options.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(_config.Limits.RequestHeadersTimeoutSeconds);
        options.Limits.MaxRequestHeadersTotalSize = ServerLimits.MaxRequestHeadersTotalBytes;
        options.Limits.MaxRequestHeaderCount = ServerLimits.MaxRequestHeaderCount;

        options.Listen(_config.Grpc.EndPoint, listen =>
        {
            _grpc = listen;
            ListenerRouting.Tag(listen, ListenerKind.Grpc);
            ConnectionLogging.Log(listen);
            if (_metrics is not null)
                ConnectionCounting.Count(listen, _metrics);
            // With TLS, ALPN lets HTTP/1.1 clients reach the gRPC host, which answers 426.
            if (_config.TlsCertificate is { } certificate)
                GrpcKestrel.ConfigureListener(listen, certificate);
            else
                GrpcKestrel.ConfigureListener(listen);
        });
        options.Listen(_config.Admin.EndPoint, listen =>
        {
            _admin = listen;
            ListenerRouting.Tag(listen, ListenerKind.Admin);
            // HTTP/2 needs ALPN, so only with TLS; cleartext admin speaks HTTP/1.1 (what probes and browsers use).
            listen.Protocols = _config.TlsCertificate is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
            UseTls(listen);
        });
    }

    // UseHttps captures the listener's protocols when called, so it comes after they are set.
    private void UseTls(ListenOptions listen)
    {
        if (_config.TlsCertificate is { } certificate)
            listen.UseHttps(certificate);
    }
}
