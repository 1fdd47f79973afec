namespace Gear.Server.Configuration;

/// <summary>Resource limits of the gRPC listener, validated.</summary>
/// <param name="MaxReceiveMessageBytes">Largest request message the server accepts.</param>
/// <param name="MaxSendMessageBytes">Largest response message the server sends.</param>
/// <param name="MaxConcurrentStreamsPerConnection">HTTP/2 streams (calls) one connection may have open at once; null keeps the gRPC layer's default.</param>
/// <param name="MaxConnections">Connections open at once over all listeners; null means no limit.</param>
/// <param name="RequestHeadersTimeoutSeconds">
/// How long a connection may take to send a request's headers before it is closed: what stops slowloris clients
/// (many connections that send their headers a byte at a time) from holding connections open.
/// </param>
public sealed record ServerLimits(
    int MaxReceiveMessageBytes,
    int MaxSendMessageBytes,
    int? MaxConcurrentStreamsPerConnection,
    long? MaxConnections,
    double RequestHeadersTimeoutSeconds = ServerLimits.DefaultRequestHeadersTimeoutSeconds)
{
    /// <summary>Header timeout when none is configured: ample for any real client, short for a slowloris one.</summary>
    public const double DefaultRequestHeadersTimeoutSeconds = 10;

    /// <summary>Longest header timeout accepted.</summary>
    public const double MaxRequestHeadersTimeoutSeconds = 300;

    /// <summary>Bytes of request headers one request may send (Kestrel's default, named here because the limit is part of Gear's contract).</summary>
    public const int MaxRequestHeadersTotalBytes = 32 * 1024;

    /// <summary>Headers one request may send.</summary>
    public const int MaxRequestHeaderCount = 100;

    /// <summary>Smallest message limit accepted: below this not even a table spec fits.</summary>
    public const int MinMessageBytes = 1024;

    /// <summary>
    /// The limits when none are configured: 64 MiB messages (multi-megabyte batches), the gRPC layer's stream
    /// limit (tuned with its flow-control windows), no connection limit.
    /// </summary>
    public static ServerLimits Default { get; } = new(64 << 20, 64 << 20, null, null);
}
