using System.Security.Cryptography.X509Certificates;
using Gear.Server.Security;
using Gear.Server.WriteAheadLog;
using Microsoft.Extensions.Logging;
using Wire = Gear.Protocol.V1;

namespace Gear.Server.Configuration;

/// <summary>
/// Checks <see cref="ServerSettings"/> as a whole and builds the <see cref="ServerConfig"/>. Every error is a
/// <see cref="ConfigException"/> naming the field (config path, flag or environment variable) at fault. Table
/// specs are checked here only for what the config owns (a name, unique); the table registry checks the rest
/// when it creates them.
/// </summary>
public static class ServerConfigValidator
{
    /// <summary>Validates <paramref name="settings"/>, filling defaults for what is absent.</summary>
    /// <exception cref="ConfigException">The first problem found.</exception>
    public static ServerConfig Validate(ServerSettings settings)
    {
        var grpc = Address(settings.Grpc, ServerDefaults.Grpc, "listen.grpc");
        var admin = Address(settings.Admin, ServerDefaults.Admin, "listen.admin");
        var dataPlane = Address(settings.DataPlane, ServerDefaults.DataPlane, "listen.dataPlane");
        RequireDistinct(admin, grpc);
        RequireDistinct(dataPlane, grpc);
        RequireDistinct(dataPlane, admin);

        var device = Device(settings.Device);
        var logLevel = LogLevels.Parse(settings.LogLevel?.Value ?? ServerDefaults.LogLevel, settings.LogLevel?.Field ?? "logLevel");
        var limits = Limits(settings);
        var drain = Drain(settings.ShutdownDrainSeconds);
        var tables = Tables(settings.Tables);
        var tokens = Tokens(settings.Tokens);

        if (tokens.Count == 0)
        {
            // Without tokens every caller that reaches the server is admin: only this machine may reach it.
            foreach (var listener in new[] { grpc, admin, dataPlane })
                if (!listener.Address.IsLoopback)
                    throw new ConfigException(listener.Field,
                        $"{listener.Value} is not a loopback address, refused by the loopback-only default when no " +
                        "token is configured (without tokens every caller is admin). Configure tokens (config 'tokens', " +
                        $"{TokenSources.EnvironmentVariable} or --token-file) or listen on 127.0.0.1");
        }

        X509Certificate2? certificate = settings.Tls.IsConfigured ? settings.Tls.Load() : null;

        return new ServerConfig
        {
            Grpc = grpc.Address,
            Admin = admin.Address,
            DataPlane = dataPlane.Address,
            Tables = tables,
            Limits = limits,
            Tokens = tokens,
            TlsCertificate = certificate,
            Device = device,
            GatherThreads = (int)InRange(settings.GatherThreads, ServerDefaults.GatherThreads, 1, ServerDefaults.MaxGatherThreads),
            LogLevel = logLevel,
            ShutdownDrain = drain,
            Checkpoints = Checkpoints(settings),
            WriteAheadLog = WriteAheadLog(settings),
        };
    }

    private static WriteAheadLogSettings? WriteAheadLog(ServerSettings settings)
    {
        if (settings.WriteAheadLogDirectory is not { } directory)
        {
            if (settings.WriteAheadLogFsync is not null || settings.WriteAheadLogFsyncIntervalMs is not null)
                throw new ConfigException(settings.WriteAheadLogFsync?.Field ?? settings.WriteAheadLogFsyncIntervalMs!.Value.Field,
                    "is set but writeAheadLog.directory is not; give the directory the logs go to");
            foreach (var table in settings.Tables)
            {
                if (table.Value.WriteAheadLog)
                    throw new ConfigException(table.Field,
                        $"table '{table.Value.Name}' asks for a write-ahead log but writeAheadLog.directory is not set");
            }
            return null;
        }
        var fsync = settings.WriteAheadLogFsync?.Value.ToLowerInvariant() switch
        {
            null or "commit" => FsyncPolicy.Commit,
            "interval" => FsyncPolicy.Interval,
            "none" => FsyncPolicy.None,
            _ => throw new ConfigException(settings.WriteAheadLogFsync!.Value.Field,
                $"'{settings.WriteAheadLogFsync.Value.Value}' is not an fsync policy; use commit, interval or none"),
        };
        var intervalMs = InRange(settings.WriteAheadLogFsyncIntervalMs, WriteAheadLogSettings.DefaultFsyncInterval.TotalMilliseconds, 1, 60_000, "ms");
        return new WriteAheadLogSettings(directory.Value, fsync, TimeSpan.FromMilliseconds(intervalMs));
    }

    private static CheckpointSettings? Checkpoints(ServerSettings settings)
    {
        if (settings.CheckpointDirectory is not { } directory)
        {
            if (settings.CheckpointIntervalSeconds is not null || settings.CheckpointKeep is not null)
                throw new ConfigException(settings.CheckpointIntervalSeconds?.Field ?? settings.CheckpointKeep!.Value.Field,
                    "is set but checkpoints.directory is not; give the directory checkpoints go to");
            return null;
        }
        var seconds = InRange(settings.CheckpointIntervalSeconds, 0, 0, ServerDefaults.MaxCheckpointIntervalSeconds, "seconds", minMeans: "no periodic checkpoints");
        var keep = InRange(settings.CheckpointKeep, ServerDefaults.CheckpointKeep, 1, ServerDefaults.MaxCheckpointKeep);
        return new CheckpointSettings(directory.Value, TimeSpan.FromSeconds(seconds), (int)keep);
    }

    private readonly record struct FieldAddress(ListenAddress Address, string Value, string Field);

    private static FieldAddress Address(Sourced<string>? setting, string fallback, string defaultField)
    {
        var field = setting?.Field ?? defaultField;
        var text = setting?.Value ?? fallback;
        return new FieldAddress(ListenAddress.Parse(text, field), text, field);
    }

    private static void RequireDistinct(FieldAddress address, FieldAddress other)
    {
        if (address.Address.Overlaps(other.Address))
            throw new ConfigException(address.Field,
                $"{address.Value} uses the same port as {other.Field} ({other.Value}); give each listener its own port");
    }

    private static DeviceSetting Device(Sourced<string>? setting)
    {
        var field = setting?.Field ?? "device";
        // Whether a CUDA device is usable is known only when the server opens it (ComputeBackendChoice).
        return DeviceSetting.Parse(setting?.Value ?? ServerDefaults.Device, field);
    }

    private static ServerLimits Limits(ServerSettings settings)
    {
        var defaults = ServerLimits.Default;
        return new ServerLimits(
            MessageBytes(settings.MaxReceiveMessageBytes, defaults.MaxReceiveMessageBytes),
            MessageBytes(settings.MaxSendMessageBytes, defaults.MaxSendMessageBytes),
            settings.MaxConcurrentStreamsPerConnection is { } streams ? (int)InRange(streams, 0, 1, int.MaxValue) : null,
            settings.MaxConnections is { } connections ? InRange(connections, 0, 1, long.MaxValue) : null,
            HeadersTimeout(settings.RequestHeadersTimeoutSeconds));
    }

    // Kestrel checks the timeout on a one-second heartbeat, so less than a second would not be kept anyway.
    private static double HeadersTimeout(Sourced<double>? setting) =>
        InRange(setting, ServerLimits.DefaultRequestHeadersTimeoutSeconds, 1, ServerLimits.MaxRequestHeadersTimeoutSeconds, "seconds");

    private static int MessageBytes(Sourced<long>? setting, int fallback) =>
        (int)InRange(setting, fallback, ServerLimits.MinMessageBytes, int.MaxValue);

    private static long InRange(Sourced<long>? setting, long fallback, long min, long max)
    {
        if (setting is not { } value)
            return fallback;
        if (value.Value < min || value.Value > max)
            throw new ConfigException(value.Field, $"{value.Value} is out of range; it must be from {min} to {max}");
        return value.Value;
    }

    /// <summary>
    /// The setting, or <paramref name="fallback"/> when it is not set; a set value must be finite and within
    /// [<paramref name="min"/>, <paramref name="max"/>] <paramref name="unit"/>, or the error names its field.
    /// </summary>
    private static double InRange(Sourced<double>? setting, double fallback, double min, double max, string unit, string? minMeans = null)
    {
        if (setting is not { } value)
            return fallback;
        if (!double.IsFinite(value.Value) || value.Value < min || value.Value > max)
            throw new ConfigException(value.Field,
                $"{value.Value} is out of range; it must be from {min}{(minMeans is null ? "" : $" ({minMeans})")} to {max} {unit}");
        return value.Value;
    }

    private static TimeSpan Drain(Sourced<double>? setting) =>
        TimeSpan.FromSeconds(InRange(setting, ServerDefaults.ShutdownDrainSeconds, 0, ServerDefaults.MaxShutdownDrainSeconds, "seconds"));

    private static IReadOnlyList<Wire.TableSpec> Tables(List<Sourced<Wire.TableSpec>> tables)
    {
        var firstByName = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (spec, field) in tables)
        {
            if (string.IsNullOrEmpty(spec.Name))
                throw new ConfigException($"{field}.name", "every table needs a name");
            if (!firstByName.TryAdd(spec.Name, field))
                throw new ConfigException($"{field}.name", $"'{spec.Name}' is already the name of {firstByName[spec.Name]}; table names must be unique");
        }
        return tables.Select(t => t.Value).ToArray();
    }

    private static IReadOnlyDictionary<string, Role> Tokens(List<TokenEntry> entries)
    {
        var tokens = new Dictionary<string, (Role Role, string Field)>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry.Token.Length == 0)
                throw new ConfigException(entry.Field, "the token is empty");
            // Visible ASCII only: the token travels in an HTTP header ("authorization: Bearer <token>").
            if (!entry.Token.All(c => c is > ' ' and <= '~'))
                throw new ConfigException(entry.Field, "the token has spaces, control or non-ASCII characters; use visible ASCII only");
            var role = ParseRole(entry.RoleText, entry.Field);
            if (tokens.TryGetValue(entry.Token, out var earlier))
            {
                if (earlier.Role != role)
                    throw new ConfigException(entry.Field,
                        $"the same token already has role {Name(earlier.Role)} from {earlier.Field}; give each token one role");
                continue;
            }
            tokens.Add(entry.Token, (role, entry.Field));
        }
        return tokens.ToDictionary(pair => pair.Key, pair => pair.Value.Role, StringComparer.Ordinal);
    }

    /// <summary>Parses a role name (actor, learner, admin; case-insensitive).</summary>
    /// <exception cref="ConfigException">Any other name.</exception>
    public static Role ParseRole(string text, string field) => text.Trim().ToLowerInvariant() switch
    {
        "actor" => Role.Actor,
        "learner" => Role.Learner,
        "admin" => Role.Admin,
        _ => throw new ConfigException(field, $"unknown role '{text}'; roles are actor, learner and admin"),
    };

    private static string Name(Role role) => role.ToString().ToLowerInvariant();
}
