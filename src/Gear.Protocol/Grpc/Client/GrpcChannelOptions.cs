using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Gear.Protocol.Grpc;

/// <summary>Settings of a <see cref="GrpcChannel"/>. Defaults suit multi-megabyte replay batches on a LAN.</summary>
public sealed class GrpcChannelOptions
{
    /// <summary>The largest response message the client accepts, in bytes (default 64 MiB).</summary>
    public int MaxReceiveMessageSize { get; set; } = 64 * 1024 * 1024;

    /// <summary>The largest request message the client sends, in bytes (default 64 MiB).</summary>
    public int MaxSendMessageSize { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// How long a connection may be silent before the client sends an HTTP/2 PING (default 60 s); infinite
    /// turns pings off. Pings find dead peers behind NATs and load balancers that drop idle connections.
    /// </summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long to wait for a PING's answer before the connection is closed as dead (default 20 s).</summary>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Also ping connections with no call in flight (default false: only while calls are active, which is
    /// what gRPC servers tolerate by default without sending GOAWAY for too many pings).
    /// </summary>
    public bool KeepAlivePingWithoutCalls { get; set; }

    /// <summary>
    /// The initial HTTP/2 receive window of each stream, in bytes (default and most 16 MiB, SocketsHttpHandler's
    /// limit). A window smaller than a batch stalls every batch for a round trip per window (the .NET default is
    /// 64 KiB). A W4 SampleStream reply (16.8 MB) is larger than 8 MiB: with 16 MiB its stream averaged 0.48 ×
    /// the raw socket against 0.34 × with 8 MiB (five alternating runs each on a loaded 2-core machine). The
    /// window bounds what a stream may buffer on the client. Server streams' own connections
    /// (<see cref="Http2.SingleCallConnection"/>) use it for the stream and the connection alike.
    /// </summary>
    public int InitialStreamWindowSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Validates the server's TLS certificate for "https://" addresses; null uses the system's validation.
    /// Tests and private deployments use it to accept a self-signed certificate.
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidationCallback { get; set; }

    /// <summary>
    /// Trusts servers whose certificate chains to this certificate authority (a private PKI) instead of the
    /// system's roots; ignored when <see cref="ServerCertificateValidationCallback"/> is set.
    /// </summary>
    public X509Certificate2? TrustedRootCertificate { get; set; }

    /// <summary>Client certificates and other TLS settings beyond validation; null for none.</summary>
    public SslClientAuthenticationOptions? SslOptions { get; set; }

    internal void Validate()
    {
        if (MaxReceiveMessageSize <= 0) throw new ArgumentOutOfRangeException(nameof(MaxReceiveMessageSize), "must be positive");
        if (MaxSendMessageSize <= 0) throw new ArgumentOutOfRangeException(nameof(MaxSendMessageSize), "must be positive");
        if (InitialStreamWindowSize < 65535 || InitialStreamWindowSize > 16 * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(InitialStreamWindowSize), "must be between 65535 bytes and 16 MiB");
        }
    }
}
