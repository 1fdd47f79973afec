using Wire = Gear.Protocol.V1;

namespace Gear.Server.Configuration;

/// <summary>
/// Server settings as gathered from the config file, the environment and flags, before validation. Every
/// value remembers where it came from; a later source overwrites an earlier one (flags win), except tables and
/// tokens, which accumulate. <see cref="ServerConfigValidator"/> turns this into a <see cref="ServerConfig"/>.
/// </summary>
public sealed class ServerSettings
{
    /// <summary>gRPC listen address ("host:port").</summary>
    public Sourced<string>? Grpc { get; set; }

    /// <summary>Admin HTTP listen address.</summary>
    public Sourced<string>? Admin { get; set; }

    /// <summary>Data-plane listen address (validated and reserved; nothing listens there yet).</summary>
    public Sourced<string>? DataPlane { get; set; }

    /// <summary>Compute device: auto, cpu or cuda:N.</summary>
    public Sourced<string>? Device { get; set; }

    /// <summary>Threads the CPU backend splits one large gather over.</summary>
    public Sourced<long>? GatherThreads { get; set; }

    /// <summary>Minimum log level.</summary>
    public Sourced<string>? LogLevel { get; set; }

    /// <summary>Largest request message in bytes.</summary>
    public Sourced<long>? MaxReceiveMessageBytes { get; set; }

    /// <summary>Largest response message in bytes.</summary>
    public Sourced<long>? MaxSendMessageBytes { get; set; }

    /// <summary>HTTP/2 streams per connection.</summary>
    public Sourced<long>? MaxConcurrentStreamsPerConnection { get; set; }

    /// <summary>Open connections over all listeners; absent means no limit.</summary>
    public Sourced<long>? MaxConnections { get; set; }

    /// <summary>Seconds a connection may take to send a request's headers.</summary>
    public Sourced<double>? RequestHeadersTimeoutSeconds { get; set; }

    /// <summary>Seconds that shutdown waits for in-flight calls and connections to finish.</summary>
    public Sourced<double>? ShutdownDrainSeconds { get; set; }

    /// <summary>Where checkpoints are written and restored from (checkpoints.directory); absent: no checkpoints.</summary>
    public Sourced<string>? CheckpointDirectory { get; set; }

    /// <summary>Seconds between periodic checkpoints (checkpoints.intervalSeconds); 0 or absent: none.</summary>
    public Sourced<double>? CheckpointIntervalSeconds { get; set; }

    /// <summary>How many checkpoints to keep (checkpoints.keep).</summary>
    public Sourced<long>? CheckpointKeep { get; set; }

    /// <summary>Where logged tables keep their write-ahead logs (writeAheadLog.directory); absent: no logs.</summary>
    public Sourced<string>? WriteAheadLogDirectory { get; set; }

    /// <summary>The log's fsync policy: commit, interval or none (writeAheadLog.fsync).</summary>
    public Sourced<string>? WriteAheadLogFsync { get; set; }

    /// <summary>Milliseconds between fsyncs under the interval policy (writeAheadLog.fsyncIntervalMs).</summary>
    public Sourced<double>? WriteAheadLogFsyncIntervalMs { get; set; }

    /// <summary>Tables to create at start, in order.</summary>
    public List<Sourced<Wire.TableSpec>> Tables { get; } = [];

    /// <summary>Bearer tokens from every source, in the order given.</summary>
    public List<TokenEntry> Tokens { get; } = [];

    /// <summary>The server certificate, if TLS is wanted.</summary>
    public TlsSettings Tls { get; } = new();
}
