using System.Security.Cryptography.X509Certificates;
using Gear.Server.Security;
using Gear.Server.WriteAheadLog;
using Microsoft.Extensions.Logging;
using Wire = Gear.Protocol.V1;

namespace Gear.Server.Configuration;

/// <summary>
/// The validated configuration of <c>gear serve</c>: everything the host needs, each value checked. Built only
/// by <see cref="ServerConfigValidator"/>. A class rather than a record so that no generated ToString can
/// print the tokens.
/// </summary>
public sealed class ServerConfig
{
    /// <summary>Where gRPC listens.</summary>
    public required ListenAddress Grpc { get; init; }

    /// <summary>Where the admin HTTP endpoints (/healthz, /readyz) listen.</summary>
    public required ListenAddress Admin { get; init; }

    /// <summary>Where the TCP data plane listens (batch streams granted by OpenDataPlane).</summary>
    public required ListenAddress DataPlane { get; init; }

    /// <summary>Tables to create at start, in order, names unique.</summary>
    public required IReadOnlyList<Wire.TableSpec> Tables { get; init; }

    /// <summary>Message, stream and connection limits.</summary>
    public required ServerLimits Limits { get; init; }

    /// <summary>Bearer tokens and their roles; empty means loopback-only, every local caller is admin.</summary>
    public required IReadOnlyDictionary<string, Role> Tokens { get; init; }

    /// <summary>The server certificate; null serves cleartext (h2c for gRPC).</summary>
    public X509Certificate2? TlsCertificate { get; init; }

    /// <summary>The compute device asked for (never CUDA in this build: validation refuses it).</summary>
    public required DeviceSetting Device { get; init; }

    /// <summary>Threads the CPU backend splits one large gather over (ignored by the CUDA backend).</summary>
    public int GatherThreads { get; init; } = ServerDefaults.GatherThreads;

    /// <summary>Minimum log level.</summary>
    public required LogLevel LogLevel { get; init; }

    /// <summary>How long shutdown waits for in-flight calls and connections.</summary>
    public required TimeSpan ShutdownDrain { get; init; }

    /// <summary>Checkpoint settings, or null when checkpoints are off (no checkpoints.directory).</summary>
    public CheckpointSettings? Checkpoints { get; init; }

    /// <summary>Write-ahead log settings, or null when the server keeps no logs (no writeAheadLog.directory).</summary>
    public WriteAheadLogSettings? WriteAheadLog { get; init; }
}

/// <summary>The validated checkpoints section.</summary>
/// <param name="Directory">Absolute directory holding the checkpoints.</param>
/// <param name="Interval">Time between periodic checkpoints; <see cref="TimeSpan.Zero"/> for none.</param>
/// <param name="Keep">How many of the newest checkpoints to keep.</param>
public sealed record CheckpointSettings(string Directory, TimeSpan Interval, int Keep);
