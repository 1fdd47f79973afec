namespace Gear.Server.Configuration;

/// <summary>Resource limits of the gRPC listener, validated.</summary>
/// <param name="MaxReceiveMessageBytes">Largest request message the server accepts.</param>
/// <param name="MaxSendMessageBytes">Largest response message the server sends.</param>
/// <param name="MaxConcurrentStreamsPerConnection">HTTP/2 streams (calls) one connection may have open at once; null keeps the gRPC layer's default.</param>
/// <param name="MaxConnections">Connections open at once over all listeners; null means no limit.</param>
public sealed record ServerLimits(
    int MaxReceiveMessageBytes,
    int MaxSendMessageBytes,
    int? MaxConcurrentStreamsPerConnection,
    long? MaxConnections)
{
    /// <summary>Smallest message limit accepted: below this not even a table spec fits.</summary>
    public const int MinMessageBytes = 1024;

    /// <summary>
    /// The limits when none are configured: 64 MiB messages (multi-megabyte batches), the gRPC layer's stream
    /// limit (tuned with its flow-control windows), no connection limit.
    /// </summary>
    public static ServerLimits Default { get; } = new(64 << 20, 64 << 20, null, null);
}
