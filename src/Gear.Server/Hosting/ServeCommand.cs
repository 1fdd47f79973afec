using System.CommandLine;
using Gear.Core.Compute.Cpu;
using Gear.Server.Configuration;

namespace Gear.Server.Hosting;

/// <summary>
/// The <c>gear serve</c> command: reads the config file (or the embedded default), adds tokens from
/// <c>GEAR_TOKENS</c>, lets flags override, validates the whole, and runs the server. Invalid configuration
/// exits with <see cref="ExitCodes.InvalidConfiguration"/> and one line on stderr naming the field.
/// </summary>
public static class ServeCommand
{
    /// <summary>Environment variable with the PFX password; kept out of flags so it never shows in the process list.</summary>
    public const string PfxPasswordVariable = "GEAR_TLS_PFX_PASSWORD";

    private static readonly Option<string> ConfigOption = new("--config")
    { HelpName = "path", Description = "JSON config file (default: the embedded config, see --print-default-config)." };
    private static readonly Option<string> GrpcOption = new("--grpc")
    { HelpName = "host:port", Description = $"gRPC listen address host:port (default {ServerDefaults.Grpc}; port 0 picks a free port)." };
    private static readonly Option<string> AdminOption = new("--admin")
    { HelpName = "host:port", Description = $"Admin HTTP listen address: dashboard /, /api/v1, /metrics, /healthz, /readyz (default {ServerDefaults.Admin})." };
    private static readonly Option<string> DataPlaneOption = new("--data-plane")
    { HelpName = "host:port", Description = $"Data-plane listen address (default {ServerDefaults.DataPlane}) (TCP batch streams that learners negotiate with OpenDataPlane)." };
    private static readonly Option<string> DeviceOption = new("--device")
    { HelpName = "auto|cpu|cuda:N", Description = "Compute device: auto (CUDA device 0 when usable, else the CPU), cpu, or cuda:N (refuses to start without it)." };
    private static readonly Option<long> GatherThreadsOption = new("--gather-threads")
    { HelpName = "count", Description = $"Threads the CPU backend splits a gather of {CpuBackend.ParallelGatherThresholdBytes >> 20} MiB or more over (default {ServerDefaults.GatherThreads}: each on its caller's thread)." };
    private static readonly Option<string> LogLevelOption = new("--log-level")
    { HelpName = "level", Description = $"Minimum log level: {LogLevels.Names}." };
    private static readonly Option<long> MaxReceiveOption = new("--max-receive-message-bytes")
    { HelpName = "bytes", Description = "Largest request message in bytes (default 64 MiB)." };
    private static readonly Option<long> MaxSendOption = new("--max-send-message-bytes")
    { HelpName = "bytes", Description = "Largest response message in bytes (default 64 MiB)." };
    private static readonly Option<long> MaxStreamsOption = new("--max-concurrent-streams")
    { HelpName = "count", Description = "Concurrent calls (HTTP/2 streams) per connection (default: the gRPC layer's)." };
    private static readonly Option<long> MaxConnectionsOption = new("--max-connections")
    { HelpName = "count", Description = "Open connections over all listeners (default: no limit)." };
    private static readonly Option<double> DrainOption = new("--shutdown-drain-seconds")
    { HelpName = "seconds", Description = $"How long shutdown waits for calls and connections to finish (default {ServerDefaults.ShutdownDrainSeconds})." };
    private static readonly Option<string> TokenFileOption = new("--token-file")
    { HelpName = "path", Description = $"File of bearer tokens, one token=role per line (roles: actor, learner, admin). Tokens also come from the config and {TokenSources.EnvironmentVariable}=tok1=admin,tok2=actor." };
    private static readonly Option<string> TlsCertOption = new("--tls-cert")
    { HelpName = "path", Description = "PEM certificate file; serves TLS on the gRPC and admin listeners (needs --tls-key)." };
    private static readonly Option<string> TlsKeyOption = new("--tls-key")
    { HelpName = "path", Description = "PEM private key file for --tls-cert." };
    private static readonly Option<string> TlsPfxOption = new("--tls-pfx")
    { HelpName = "path", Description = $"PKCS#12 certificate file instead of PEM; its password comes from {PfxPasswordVariable}." };
    private static readonly Option<bool> CheckOption = new("--check")
    { Description = "Validate the configuration, print a summary and exit (0 if valid, 2 if not)." };
    private static readonly Option<bool> PrintDefaultOption = new("--print-default-config")
    { Description = "Print the embedded default config (a starting point for --config) and exit." };

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var command = new Command("serve", "Start the replay service (gRPC, admin HTTP) with the configured tables.")
        {
            ConfigOption, GrpcOption, AdminOption, DataPlaneOption, DeviceOption, GatherThreadsOption, LogLevelOption,
            MaxReceiveOption, MaxSendOption, MaxStreamsOption, MaxConnectionsOption, DrainOption,
            TokenFileOption, TlsCertOption, TlsKeyOption, TlsPfxOption, CheckOption, PrintDefaultOption,
        };
        command.SetAction((parse, cancellation) => RunAsync(parse, cancellation));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellation)
    {
        if (parse.GetValue(PrintDefaultOption))
        {
            await Console.Out.WriteAsync(DefaultConfig.Json);
            return ExitCodes.Ok;
        }

        ServerConfig config;
        try
        {
            config = ServerConfigValidator.Validate(Gather(parse, Environment.GetEnvironmentVariable));
        }
        catch (ConfigException e)
        {
            await Console.Error.WriteLineAsync($"gear serve: invalid configuration: {e.Message}");
            return ExitCodes.InvalidConfiguration;
        }

        if (parse.GetValue(CheckOption))
        {
            await Console.Out.WriteLineAsync(
                $"configuration is valid: gRPC {config.Grpc}, admin {config.Admin}, data plane {config.DataPlane}, " +
                $"{config.Tables.Count} tables ({string.Join(", ", config.Tables.Select(t => t.Name))}), " +
                $"{config.Tokens.Count} tokens, TLS {(config.TlsCertificate is null ? "off" : "on")}, device {config.Device}, {config.GatherThreads} gather threads");
            return ExitCodes.Ok;
        }
        return await GearServer.RunAsync(config, Console.Error, cancellation);
    }

    /// <summary>
    /// Collects settings in order of precedence, lowest first: config file (or the embedded default), then
    /// <c>GEAR_TOKENS</c> and <c>GEAR_TLS_PFX_PASSWORD</c>, then flags. Tokens from every source are merged.
    /// </summary>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="environment">Reads an environment variable (a parameter so tests need not set real ones).</param>
    public static ServerSettings Gather(ParseResult parse, Func<string, string?> environment)
    {
        var configPath = parse.GetValue(ConfigOption);
        var settings = configPath is null ? DefaultConfig.Read() : ConfigFileReader.ReadFile(configPath, "--config");

        settings.Tokens.AddRange(TokenSources.ParseList(environment(TokenSources.EnvironmentVariable)));
        if (environment(PfxPasswordVariable) is { } password)
            settings.Tls.PfxPassword = new(password, PfxPasswordVariable);

        Override(parse, GrpcOption, value => settings.Grpc = value);
        Override(parse, AdminOption, value => settings.Admin = value);
        Override(parse, DataPlaneOption, value => settings.DataPlane = value);
        Override(parse, DeviceOption, value => settings.Device = value);
        Override(parse, GatherThreadsOption, value => settings.GatherThreads = value);
        Override(parse, LogLevelOption, value => settings.LogLevel = value);
        Override(parse, MaxReceiveOption, value => settings.MaxReceiveMessageBytes = value);
        Override(parse, MaxSendOption, value => settings.MaxSendMessageBytes = value);
        Override(parse, MaxStreamsOption, value => settings.MaxConcurrentStreamsPerConnection = value);
        Override(parse, MaxConnectionsOption, value => settings.MaxConnections = value);
        Override(parse, DrainOption, value => settings.ShutdownDrainSeconds = value);

        if (parse.GetValue(TokenFileOption) is { } tokenFile)
            settings.Tokens.AddRange(TokenSources.ReadFile(Path.GetFullPath(tokenFile), TokenFileOption.Name));

        // A TLS flag replaces the config file's TLS form: PEM flags drop a configured PFX and the other way round.
        if (parse.GetValue(TlsPfxOption) is { } pfx)
        {
            settings.Tls.Certificate = settings.Tls.Key = null;
            settings.Tls.Pfx = new(Path.GetFullPath(pfx), TlsPfxOption.Name);
        }
        if (parse.GetValue(TlsCertOption) is { } certificate)
        {
            settings.Tls.Pfx = null;
            settings.Tls.Certificate = new(Path.GetFullPath(certificate), TlsCertOption.Name);
        }
        if (parse.GetValue(TlsKeyOption) is { } key)
        {
            settings.Tls.Pfx = null;
            settings.Tls.Key = new(Path.GetFullPath(key), TlsKeyOption.Name);
        }
        return settings;
    }

    private static void Override(ParseResult parse, Option<string> option, Action<Sourced<string>> set)
    {
        if (parse.GetValue(option) is { } value)
            set(new(value, option.Name));
    }

    private static void Override<T>(ParseResult parse, Option<T> option, Action<Sourced<T>> set) where T : struct
    {
        // Only a flag actually given overrides; a value type's default would otherwise look like a setting.
        if (parse.GetResult(option) is { Implicit: false })
            set(new(parse.GetValue(option), option.Name));
    }
}
