using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gear.Core.Compute.Cpu;
using Gear.Protocol.Rdma;
using Gear.Protocol.V1;
using Gear.Server.Admin.Metrics;
using Gear.Server.DataPlane;
using Gear.Server.Grpc;
using Gear.Server.Security;
using Gear.Server.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gear.Client.Tests;

/// <summary>
/// The real replay service (ReplayService over a TableRegistry on the CPU backend) on a Kestrel server at a
/// random loopback port, as `gear serve` hosts it; the pattern of Gear.Server.Tests' ServiceHarness.
/// </summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcServiceHost _host;
    private readonly CpuBackend _backend;

    private LoopbackServer(WebApplication app, GrpcServiceHost host, CpuBackend backend, TableRegistry tables, Uri address, TcpDataPlane? dataPlane, RdmaDataPlane? rdma)
    {
        _host = host;
        DataPlane = dataPlane;
        Rdma = rdma;
        _app = app;
        _backend = backend;
        Tables = tables;
        Address = address;
    }

    public TableRegistry Tables { get; }

    /// <summary>The TCP data plane (null when started without one: learners fall back to SampleStream).</summary>
    public TcpDataPlane? DataPlane { get; }

    /// <summary>The RDMA data plane (null unless started with verbs).</summary>
    public RdmaDataPlane? Rdma { get; }

    /// <summary>"http://127.0.0.1:port" (or https with a certificate).</summary>
    public Uri Address { get; }

    /// <summary>
    /// Starts a server; with tokens callers must authenticate, without them loopback callers are admins. With
    /// <paramref name="dataPlane"/> (the default) it also serves the TCP data plane at a loopback port, and
    /// with <paramref name="rdma"/> the RDMA data plane on that verbs implementation's first device.
    /// </summary>
    public static async Task<LoopbackServer> StartAsync(IReadOnlyDictionary<string, Role>? tokens = null, X509Certificate2? certificate = null, bool dataPlane = true,
        IVerbs? rdma = null, TimeSpan? rdmaProbeInterval = null)
    {
        var backend = new CpuBackend();
        var tables = new TableRegistry(backend, NullLogger<TableRegistry>.Instance);
        var options = new GrpcServerOptions();
        var identity = new ServerIdentity("test", backend.Name, "client tests run on the CPU backend", DateTime.UtcNow,
            options.MaxReceiveMessageSize, options.MaxSendMessageSize);
        var service = new ReplayService(tables, new TokenAuthenticator(tokens ?? new Dictionary<string, Role>()), identity, NullLoggerFactory.Instance);
        service.ConfigureOptions(options);
        var plane = dataPlane ? TcpDataPlane.Start(new IPEndPoint(IPAddress.Loopback, 0), tables, new GearMetrics(), NullLoggerFactory.Instance) : null;
        var rdmaPlane = plane is not null && rdma is not null
            ? RdmaDataPlane.Open(rdma, tables, new GearMetrics(), NullLoggerFactory.Instance, rdmaProbeInterval)
            : null;
        if (plane is not null)
            service.AttachDataPlane(plane, rdmaPlane);
        var host = new GrpcServiceHost(options, NullLogger.Instance);
        service.Register(host);
        var app = await StartKestrelAsync(host, certificate);
        return new LoopbackServer(app, host, backend, tables, BoundAddress(app, certificate), plane, rdmaPlane);
    }

    /// <summary>A Kestrel server at a loopback port serving <paramref name="host"/> (for fake services).</summary>
    public static async Task<(WebApplication App, Uri Address)> StartRawAsync(GrpcServiceHost host)
    {
        var app = await StartKestrelAsync(host, null);
        return (app, BoundAddress(app, null));
    }

    /// <summary>A table spec with the given columns (trajectory items unless said), capacity for small tests.</summary>
    public static TableSpec Spec(string name, Selector sampler, params ColumnSpec[] columns) => Spec(name, sampler, ItemGranularity.Trajectory, columns);

    /// <summary>A table spec with the given granularity.</summary>
    public static TableSpec Spec(string name, Selector sampler, ItemGranularity granularity, params ColumnSpec[] columns)
    {
        var spec = new TableSpec
        {
            Name = name,
            HostCapacityBytes = 16 << 20,
            MaxTrajectories = 1024,
            PageSteps = 16,
            Granularity = granularity,
            Sampler = sampler,
        };
        spec.Columns.AddRange(columns);
        return spec;
    }

    /// <summary>A column spec.</summary>
    public static ColumnSpec Column(string name, DType dtype, params int[] shape)
    {
        var column = new ColumnSpec { Name = name, Dtype = dtype };
        column.Shape.AddRange(shape);
        return column;
    }

    /// <summary>Stops as `gear serve` does: calls in flight end with UNAVAILABLE, then Kestrel stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _host.BeginShutdown();
        using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
            await _app.StopAsync(stopping.Token);
        await _app.DisposeAsync();
        if (Rdma is not null)
            await Rdma.DisposeAsync();
        if (DataPlane is not null)
            await DataPlane.DisposeAsync();
        Tables.Dispose();
        _backend.Dispose();
    }

    private static async Task<WebApplication> StartKestrelAsync(GrpcServiceHost host, X509Certificate2? certificate)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            GrpcKestrel.ConfigureLimits(kestrel);
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                if (certificate is null)
                    GrpcKestrel.ConfigureListener(listen);
                else
                    GrpcKestrel.ConfigureListener(listen, certificate);
            });
        });
        var app = builder.Build();
        app.Run(host.HandleAsync);
        await app.StartAsync();
        return app;
    }

    private static Uri BoundAddress(WebApplication app, X509Certificate2? certificate)
    {
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new Uri($"{(certificate is null ? "http" : "https")}://127.0.0.1:{new Uri(bound).Port}");
    }
}
