using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Gear.Protocol.Grpc;

namespace Gear.Client;

/// <summary>Settings of a <see cref="GearClient"/>.</summary>
public sealed class GearClientOptions
{
    /// <summary>
    /// The servers, "http://host:port" (cleartext HTTP/2) or "https://host:port" (TLS). One server is a plain
    /// client; several are shards of one logical table set: inserts are spread by trajectory and samples drawn
    /// from every shard in proportion to its selection mass. Order does not matter; the address is a shard's
    /// identity on the hash ring.
    /// </summary>
    public IReadOnlyList<Uri> Endpoints { get; init; } = [];

    /// <summary>Bearer token sent as <c>authorization: Bearer …</c> on every call; null for none.</summary>
    public string? BearerToken { get; init; }

    /// <summary>
    /// Deadline of each unary call when the caller gives none (default 30 s). Rate-limited calls (Sample on
    /// a table below its minimum size) wait up to this long. Infinite means no deadline.
    /// </summary>
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of calls that are safe to repeat; see <see cref="RetryPolicy"/>.</summary>
    public RetryPolicy Retry { get; init; } = new();

    /// <summary>
    /// Validates the servers' TLS certificates; null uses the system's validation. Private deployments with
    /// a self-signed certificate pin it here.
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; init; }

    /// <summary>
    /// Trusts servers whose certificates chain to this certificate authority (a private deployment's own CA)
    /// instead of the system's roots; ignored when <see cref="ServerCertificateValidation"/> is set.
    /// </summary>
    public X509Certificate2? TrustedRootCertificate { get; init; }

    /// <summary>Client certificates and other TLS settings; null for none.</summary>
    public SslClientAuthenticationOptions? SslOptions { get; init; }

    /// <summary>Largest message the client receives (default 64 MiB); large sample batches need room.</summary>
    public int MaxReceiveMessageBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>Largest message the client sends (default 64 MiB).</summary>
    public int MaxSendMessageBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>Virtual nodes per server on the insert hash ring (default 160); more spread keys more evenly.</summary>
    public int VirtualNodesPerEndpoint { get; init; } = 160;

    /// <summary>
    /// The verbs library the data plane's rdma transport uses. Null (the default) loads rdma-core's
    /// libibverbs.so.1 where it is installed; without it, or without an RDMA device, streams use tcp.
    /// </summary>
    public Gear.Protocol.Rdma.IVerbs? RdmaVerbs { get; init; }

    /// <summary>How long an rdma stream waits idle before it checks that the server is still there (default 1 s).</summary>
    public TimeSpan RdmaProbeInterval { get; init; } = TimeSpan.FromSeconds(1);

    internal void Validate()
    {
        if (Endpoints is null || Endpoints.Count == 0)
            throw new ArgumentException("at least one endpoint is required", nameof(Endpoints));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var endpoint in Endpoints)
        {
            ArgumentNullException.ThrowIfNull(endpoint, nameof(Endpoints));
            if (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps)
                throw new ArgumentException($"endpoint '{endpoint}' must start with http:// or https://", nameof(Endpoints));
            if (!seen.Add(ShardIdentity(endpoint)))
                throw new ArgumentException($"endpoint '{endpoint}' is listed twice", nameof(Endpoints));
        }
        if (DefaultTimeout <= TimeSpan.Zero && DefaultTimeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(DefaultTimeout), DefaultTimeout, "must be positive (Timeout.InfiniteTimeSpan for none)");
        if (VirtualNodesPerEndpoint < 1)
            throw new ArgumentOutOfRangeException(nameof(VirtualNodesPerEndpoint), VirtualNodesPerEndpoint, "at least 1");
        if (BearerToken is { } token && (token.Length == 0 || token.Any(c => c < ' ' || c > '~')))
            throw new ArgumentException("the bearer token must be non-empty printable ASCII", nameof(BearerToken));
        ArgumentNullException.ThrowIfNull(Retry);
        Retry.Validate();
    }

    internal GrpcChannelOptions ToChannelOptions() => new()
    {
        MaxReceiveMessageSize = MaxReceiveMessageBytes,
        MaxSendMessageSize = MaxSendMessageBytes,
        ServerCertificateValidationCallback = ServerCertificateValidation,
        TrustedRootCertificate = TrustedRootCertificate,
        SslOptions = SslOptions,
    };

    /// <summary>A shard's identity on the hash ring: scheme, host and port, lower case, no path.</summary>
    internal static string ShardIdentity(Uri endpoint) => endpoint.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
}
