using Gear.Server.Checkpoints;
using Gear.Core.Compute.Cpu;
using Gear.Protocol.Grpc;
using Gear.Server.Grpc;
using Gear.Server.Security;
using Gear.Server.Service;
using Gear.Server.Tests.Grpc;
using Gear.Server.WriteAheadLog;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gear.Server.Tests.Service;

/// <summary>The replay service on a loopback Kestrel server, with a client channel to it.</summary>
internal sealed class ServiceHarness : IAsyncDisposable
{
    private readonly GrpcTestServer _server;
    private readonly CpuBackend _backend;
    private bool _keepCheckpoints;

    private ServiceHarness(GrpcTestServer server, CpuBackend backend, TableRegistry tables)
    {
        _server = server;
        _backend = backend;
        Tables = tables;
        Channel = GrpcChannel.ForAddress(server.Address);
    }

    public TableRegistry Tables { get; }

    /// <summary>Where the Checkpoint RPC writes (a temporary directory, deleted at dispose).</summary>
    public string CheckpointDirectory { get; private init; } = "";

    public GrpcChannel Channel { get; }

    /// <summary>
    /// Starts a server; with <paramref name="tokens"/> callers must authenticate, without them loopback is admin.
    /// With <paramref name="durable"/>, checkpoints and write-ahead logs live there (kept at dispose), and the
    /// server starts as <c>gear serve</c> does: newest checkpoint restored, logs replayed over it.
    /// </summary>
    public static async Task<ServiceHarness> StartAsync(IReadOnlyDictionary<string, Role>? tokens = null, DurableDirectory? durable = null)
    {
        var backend = new CpuBackend();
        var logs = durable is null ? null : new WriteAheadLogs(durable.LogSettings, NullLoggerFactory.Instance);
        var tables = new TableRegistry(backend, NullLogger<TableRegistry>.Instance, logs);
        var limits = new GrpcServerOptions();
        var identity = new ServerIdentity("test", backend.Name, "tests run on the CPU backend", DateTime.UtcNow,
            limits.MaxReceiveMessageSize, limits.MaxSendMessageSize);
        var service = new ReplayService(tables, new TokenAuthenticator(tokens ?? new Dictionary<string, Role>()), identity, NullLoggerFactory.Instance);
        var checkpoints = durable?.Checkpoints ?? Path.Combine(Path.GetTempPath(), "gear-harness-" + Guid.NewGuid().ToString("N"));
        var store = new CheckpointStore(checkpoints, 2, NullLogger.Instance);
        service.Checkpoints = new Checkpointer(tables, store, NullLogger.Instance);
        if (durable is not null)
        {
            foreach (var table in store.RestoreNewest(backend)?.Tables ?? [])
                tables.Add(table);
            tables.RecoverLogs();
        }
        var server = await GrpcTestServer.StartAsync(service.Register, service.ConfigureOptions);
        return new ServiceHarness(server, backend, tables) { CheckpointDirectory = checkpoints, _keepCheckpoints = durable is not null };
    }

    public ReplayClient Client(string? token = null) => new(Channel, token);

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _server.DisposeAsync();
        Tables.Dispose();
        _backend.Dispose();
        if (!_keepCheckpoints && Directory.Exists(CheckpointDirectory))
            Directory.Delete(CheckpointDirectory, recursive: true);
    }
}

/// <summary>A temporary directory for a server's checkpoints and write-ahead logs that outlives one harness.</summary>
internal sealed class DurableDirectory : IDisposable
{
    public DurableDirectory(FsyncPolicy fsync = FsyncPolicy.Commit)
    {
        Root = Path.Combine(Path.GetTempPath(), "gear-durable-" + Guid.NewGuid().ToString("N"));
        LogSettings = new WriteAheadLogSettings(Path.Combine(Root, "wal"), fsync, TimeSpan.FromMilliseconds(20));
    }

    public string Root { get; }

    public string Checkpoints => Path.Combine(Root, "checkpoints");

    public WriteAheadLogSettings LogSettings { get; }

    public void Dispose()
    {
        if (Directory.Exists(Root))
            Directory.Delete(Root, recursive: true);
    }
}
