using System.Net;
using Gear.Server.Checkpoints;
using Gear.Core.Compute.Cpu;
using Gear.Protocol.Rdma;
using Gear.Server.Admin.Metrics;
using Gear.Server.DataPlane;
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

    private ServiceHarness(GrpcTestServer server, CpuBackend backend, TableRegistry tables, TcpDataPlane? dataPlane = null, RdmaDataPlane? rdma = null)
    {
        DataPlane = dataPlane;
        Rdma = rdma;
        _server = server;
        _backend = backend;
        Tables = tables;
        Channel = GrpcChannel.ForAddress(server.Address);
    }

    public TableRegistry Tables { get; }

    /// <summary>Where the Checkpoint RPC writes (a temporary directory, deleted at dispose).</summary>
    public string CheckpointDirectory { get; private init; } = "";

    public GrpcChannel Channel { get; }

    /// <summary>The TCP data plane (started by <see cref="StartWithDataPlaneAsync"/>).</summary>
    public TcpDataPlane? DataPlane { get; }

    /// <summary>The RDMA data plane (started by <see cref="StartWithDataPlaneAsync"/>).</summary>
    public RdmaDataPlane? Rdma { get; }

    /// <summary>
    /// Starts a server; with <paramref name="tokens"/> callers must authenticate, without them loopback is admin.
    /// With <paramref name="durable"/>, checkpoints and write-ahead logs live there (kept at dispose), and the
    /// server starts as <c>gear serve</c> does: newest checkpoint restored, logs replayed over it.
    /// </summary>
    public static async Task<ServiceHarness> StartAsync(IReadOnlyDictionary<string, Role>? tokens = null, DurableDirectory? durable = null)
    {
        var (backend, tables, service) = CreateService(tokens, durable);
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

    /// <summary>
    /// Starts a server with both data planes: TCP at a loopback port, RDMA on <paramref name="verbs"/>' first
    /// device (null: the real libibverbs, which on machines without RDMA has none).
    /// </summary>
    public static async Task<ServiceHarness> StartWithDataPlaneAsync(IVerbs? verbs, TimeSpan? probeInterval = null)
    {
        var (backend, tables, service) = CreateService(tokens: null, durable: null);
        var dataPlane = TcpDataPlane.Start(new IPEndPoint(IPAddress.Loopback, 0), tables, new GearMetrics(), NullLoggerFactory.Instance);
        var rdma = RdmaDataPlane.Open(verbs, tables, new GearMetrics(), NullLoggerFactory.Instance, probeInterval);
        service.AttachDataPlane(dataPlane, rdma);
        var server = await GrpcTestServer.StartAsync(service.Register, service.ConfigureOptions);
        return new ServiceHarness(server, backend, tables, dataPlane, rdma);
    }

    private static (CpuBackend Backend, TableRegistry Tables, ReplayService Service) CreateService(IReadOnlyDictionary<string, Role>? tokens, DurableDirectory? durable)
    {
        var backend = new CpuBackend();
        var logs = durable is null ? null : new WriteAheadLogs(durable.LogSettings, NullLoggerFactory.Instance);
        var tables = new TableRegistry(backend, NullLogger<TableRegistry>.Instance, logs);
        var limits = new GrpcServerOptions();
        var identity = new ServerIdentity("test", backend.Name, "tests run on the CPU backend", DateTime.UtcNow,
            limits.MaxReceiveMessageSize, limits.MaxSendMessageSize);
        var service = new ReplayService(tables, new TokenAuthenticator(tokens ?? new Dictionary<string, Role>()), identity, NullLoggerFactory.Instance);
        return (backend, tables, service);
    }

    public ReplayClient Client(string? token = null) => new(Channel, token);

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _server.DisposeAsync();
        if (Rdma is not null)
            await Rdma.DisposeAsync();
        if (DataPlane is not null)
            await DataPlane.DisposeAsync();
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
