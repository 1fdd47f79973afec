using System.Net.Sockets;
using Gear.Core.Errors;
using Gear.Core.Compute;
using Gear.Core.Tables;
using Gear.Server.Checkpoints;
using Gear.Server.Admin;
using Gear.Server.Admin.Metrics;
using Gear.Server.Configuration;
using Gear.Server.DataPlane;
using Gear.Server.Grpc;
using Gear.Server.Progress;
using Gear.Server.Security;
using Gear.Server.Service;
using Gear.Server.WriteAheadLog;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gear.Server.Hosting;

/// <summary>
/// Runs <c>gear serve</c> from a validated config: composes backend, table registry, authenticator and replay
/// service onto the gRPC host, starts Kestrel with the gRPC and admin listeners, creates the tables, and on
/// SIGTERM or Ctrl-C ends in-flight calls (UNAVAILABLE), drains, and releases the tables.
/// </summary>
public static class GearServer
{
    /// <summary>Runs until shutdown is requested by a signal or by <paramref name="stopping"/>.</summary>
    /// <returns>An <see cref="ExitCodes"/> value. Start failures are written to <paramref name="error"/> as one line.</returns>
    public static async Task<int> RunAsync(ServerConfig config, TextWriter error, CancellationToken stopping = default)
    {
        var startedUtc = DateTime.UtcNow;
        using var metrics = new GearMetrics();
        var listeners = new KestrelListeners(config, metrics);
        var listenerNames = new ListenerBindFailure.Listener[] { new("gRPC", config.Grpc), new("admin", config.Admin), new("data plane", config.DataPlane) };
        if (ListenerBindFailure.Probe(listenerNames) is { } bindProblem)
        {
            await error.WriteLineAsync($"gear serve: {bindProblem}");
            return ExitCodes.StartFailed;
        }

        var app = BuildHost(config, listeners);
        await using var appLifetime = app;
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        var log = loggers.CreateLogger(ConsoleLogging.Category);

        ComputeBackendChoice backend;
        try
        {
            backend = ComputeBackendChoice.For(config.Device, config.GatherThreads);
        }
        catch (DeviceUnavailableException e)
        {
            await error.WriteLineAsync($"gear serve: {e.Message}");
            return ExitCodes.StartFailed;
        }
        using var backendLifetime = backend.Backend;
        var logs = config.WriteAheadLog is { } logSettings ? new WriteAheadLogs(logSettings, loggers) : null;
        var registry = new TableRegistry(backend.Backend, loggers.CreateLogger<TableRegistry>(), logs);
        try
        {
            var grpcOptions = new GrpcServerOptions
            {
                MaxReceiveMessageSize = config.Limits.MaxReceiveMessageBytes,
                MaxSendMessageSize = config.Limits.MaxSendMessageBytes,
            };
            var identity = new ServerIdentity(ServerVersion.Current, backend.Backend.Name, backend.Reason, startedUtc,
                config.Limits.MaxReceiveMessageBytes, config.Limits.MaxSendMessageBytes);
            var authenticator = new TokenAuthenticator(config.Tokens);
            var replay = new ReplayService(registry, authenticator, identity, loggers, metrics);
            replay.ConfigureOptions(grpcOptions);
            var readiness = new ServerReadiness();
            grpcOptions.Interceptor = readiness.Gate(grpcOptions.Interceptor);
            TcpDataPlane dataPlane;
            try
            {
                dataPlane = TcpDataPlane.Start(config.DataPlane.EndPoint, registry, metrics, loggers);
            }
            catch (SocketException e)
            {
                await error.WriteLineAsync($"gear serve: {ListenerBindFailure.Describe(e, new("data plane", config.DataPlane))}");
                return ExitCodes.StartFailed;
            }
            await using var dataPlaneLifetime = dataPlane;
            await using var rdmaDataPlane = RdmaDataPlane.Open(verbs: null, registry, metrics, loggers);
            replay.AttachDataPlane(dataPlane, rdmaDataPlane);
            var grpcHost = new GrpcServiceHost(grpcOptions, loggers.CreateLogger<GrpcServiceHost>());
            replay.Register(grpcHost);
            var progress = ProgressDisplay.ForConsole(log);
            var checkpointer = config.Checkpoints is { } checkpointSettings
                ? new Checkpointer(registry,
                    new CheckpointStore(checkpointSettings.Directory, checkpointSettings.Keep, loggers.CreateLogger<CheckpointStore>(), progress),
                    loggers.CreateLogger<Checkpointer>())
                : null;
            replay.Checkpoints = checkpointer;

            await using var adminServices = new AdminServices(registry, identity with { DataPlane = replay.DataPlaneReason }, readiness, metrics, authenticator, TimeSpan.FromSeconds(1));
            var admin = new AdminEndpoints(readiness, adminServices.Site);
            app.Run(ListenerRouting.Dispatch(grpcHost.HandleAsync, admin.HandleAsync));
            app.Lifetime.ApplicationStopping.Register(() =>
            {
                readiness.MarkNotReady("shutting down");
                log.LogInformation("shutting down: ending in-flight calls with UNAVAILABLE, draining for up to {Drain:0.#} s",
                    config.ShutdownDrain.TotalSeconds);
                grpcHost.BeginShutdown();
            });

            log.LogInformation("gear {Version} starting (pid {Pid})", ServerVersion.Current, Environment.ProcessId);
            log.LogInformation("backend {Backend}: {Reason}", backend.Backend.Name, backend.Reason);
            if (!await TryStartAsync(app, listeners, listenerNames, error))
                return ExitCodes.StartFailed;
            LogListeners(log, config, listeners, dataPlane);

            if (checkpointer is not null)
                RestoreCheckpoint(checkpointer, registry, backend.Backend, log);
            if (logs is not null)
            {
                log.LogInformation("write-ahead logs in {Directory}, fsync policy {Fsync}{Warning}", logs.Settings.Directory,
                    logs.Settings.Fsync.ToString().ToLowerInvariant(),
                    checkpointer is null ? " (no checkpoints are configured, so the logs grow without bound and replay from their start)" : "");
                registry.RecoverLogs(progress);
            }
            if (!TryCreateTables(config, registry, log, error))
            {
                await app.StopAsync(CancellationToken.None);
                return ExitCodes.InvalidConfiguration;
            }
            readiness.MarkReady($"ready: {config.Tables.Count} tables");
            // Named in config order (the registry's own order is its business).
            log.LogInformation("ready: serving {Count} tables ({Names})", config.Tables.Count,
                config.Tables.Count == 0 ? "none" : string.Join(", ", config.Tables.Select(t => t.Name)));

            using var periodicStop = new CancellationTokenSource();
            var periodic = checkpointer is not null && config.Checkpoints!.Interval > TimeSpan.Zero
                ? checkpointer.RunPeriodicAsync(config.Checkpoints.Interval, periodicStop.Token)
                : Task.CompletedTask;
            using (stopping.Register(() => app.Lifetime.StopApplication()))
                await app.WaitForShutdownAsync(CancellationToken.None);
            await periodicStop.CancelAsync();
            await periodic;
            if (checkpointer is not null)
                await checkpointer.TryCheckpointAsync("shutdown");
            log.LogInformation("listeners closed; releasing tables");
            return ExitCodes.Ok;
        }
        finally
        {
            registry.Dispose();
            log.LogInformation("stopped");
        }
    }

    private static WebApplication BuildHost(ServerConfig config, KestrelListeners listeners)
    {
        // No args and the binary's directory as content root: the host reads none of our command line and no
        // appsettings from wherever the user happens to stand; gear's own config is the only config.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = "gear",
            ContentRootPath = AppContext.BaseDirectory,
        });
        ConsoleLogging.Configure(builder.Logging, config.LogLevel);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = config.ShutdownDrain);
        builder.WebHost.ConfigureKestrel(listeners.Configure);
        // Kestrel receives into one pool block per call: 64 KiB blocks instead of 4 KiB for multi-megabyte streams.
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
        // And it receives into that block at once instead of first waiting for data with a zero-byte receive: half
        // the receive calls of an insert stream (W1 inserts +6 %), for one block held by each idle connection.
        builder.WebHost.UseSockets(o => o.WaitForDataBeforeAllocatingBuffer = false);
        return builder.Build();
    }

    private static async Task<bool> TryStartAsync(WebApplication app, KestrelListeners listeners,
        IEnumerable<ListenerBindFailure.Listener> names, TextWriter error)
    {
        try
        {
            await app.StartAsync(CancellationToken.None);
            return true;
        }
        catch (Exception e) when (ListenerBindFailure.Describe(e, names) is { } message)
        {
            await error.WriteLineAsync($"gear serve: {message}");
            return false;
        }
    }

    private static void LogListeners(ILogger log, ServerConfig config, KestrelListeners listeners, TcpDataPlane dataPlane)
    {
        log.LogInformation("gRPC listening on {Scheme}://{EndPoint}", listeners.Scheme, listeners.GrpcEndPoint);
        log.LogInformation("admin listening on {Scheme}://{EndPoint} (dashboard /, /api/v1, /metrics, /healthz, /readyz)",
            listeners.Scheme, listeners.AdminEndPoint);
        log.LogInformation("data plane listening on tcp://{EndPoint} (learners negotiate it with OpenDataPlane)", dataPlane.EndPoint);
        log.LogInformation(config.Tokens.Count == 0
            ? "no tokens configured: loopback callers only, each with the admin role"
            : "{Count} tokens configured: every call needs a bearer token", config.Tokens.Count);
        if (config.TlsCertificate is { } certificate)
            log.LogInformation("TLS certificate {Subject}, valid until {NotAfter:yyyy-MM-dd}", certificate.Subject, certificate.NotAfter);
    }

    /// <summary>
    /// Serves the tables of the newest usable checkpoint (the store logs unusable ones). A table restored from
    /// a checkpoint replaces the config's table of the same name: the config's spec is not applied to it.
    /// </summary>
    private static void RestoreCheckpoint(Checkpointer checkpointer, TableRegistry registry, IComputeBackend backend, ILogger log)
    {
        var restored = checkpointer.Store.RestoreNewest(backend);
        if (restored is null)
        {
            log.LogInformation("no checkpoint to restore in {Directory}", checkpointer.Store.Directory);
            return;
        }
        foreach (var table in restored.Tables)
            registry.Add(table);
    }

    private static bool TryCreateTables(ServerConfig config, TableRegistry registry, ILogger log, TextWriter error)
    {
        for (var i = 0; i < config.Tables.Count; i++)
        {
            var spec = config.Tables[i];
            try
            {
                if (!registry.Contains(spec.Name))
                {
                    registry.Create(spec); // the registry logs each table it creates
                    continue;
                }
                log.LogInformation("table '{Table}' was restored from a checkpoint or its log; tables[{Index}] of the config is not applied", spec.Name, i);
                if (spec.WriteAheadLog)
                    registry.EnsureLogged(spec.Name);
            }
            catch (GearException e)
            {
                error.WriteLine($"gear serve: tables[{i}] ('{spec.Name}'): {e.Message}");
                return false;
            }
        }
        return true;
    }
}
