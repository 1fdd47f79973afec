using System.Net;
using Gear.Core.Compute.Cpu;
using Gear.Protocol.Grpc;
using Gear.Server.Admin;
using Gear.Server.Admin.Metrics;
using Gear.Server.Grpc;
using Gear.Server.Hosting;
using Gear.Server.Security;
using Gear.Server.Service;
using Gear.Server.Tests.Grpc;
using Gear.Server.Tests.Service;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gear.Server.Tests.Admin;

/// <summary>
/// The replay service with metrics on a loopback gRPC test server, plus the admin routes answered in process
/// (a DefaultHttpContext per request, any caller address): traffic goes through real gRPC, the admin side is
/// read without a second listener. Rates tick only when the test says (<see cref="TickRates"/>).
/// </summary>
internal sealed class AdminHarness : IAsyncDisposable
{
    private readonly GrpcTestServer _server;
    private readonly CpuBackend _backend;
    private readonly AdminServices _admin;

    private AdminHarness(GrpcTestServer server, CpuBackend backend, TableRegistry tables, GearMetrics metrics, AdminServices admin, ServerReadiness readiness)
    {
        _server = server;
        _backend = backend;
        _admin = admin;
        Tables = tables;
        Metrics = metrics;
        Endpoints = new AdminEndpoints(readiness, admin.Site);
        Channel = GrpcChannel.ForAddress(server.Address);
    }

    public TableRegistry Tables { get; }

    public GearMetrics Metrics { get; }

    public AdminEndpoints Endpoints { get; }

    public GrpcChannel Channel { get; }

    public ReplayClient Client(string? token = null) => new(Channel, token);

    public static async Task<AdminHarness> StartAsync(IReadOnlyDictionary<string, Role>? tokens = null)
    {
        var backend = new CpuBackend();
        var tables = new TableRegistry(backend, NullLogger<TableRegistry>.Instance);
        var limits = new GrpcServerOptions();
        var identity = new ServerIdentity("test", backend.Name, "tests run on the CPU backend", DateTime.UtcNow,
            limits.MaxReceiveMessageSize, limits.MaxSendMessageSize);
        var metrics = new GearMetrics();
        var authenticator = new TokenAuthenticator(tokens ?? new Dictionary<string, Role>());
        var readiness = new ServerReadiness();
        readiness.MarkReady("ready: test");
        var admin = new AdminServices(tables, identity, readiness, metrics, authenticator, Timeout.InfiniteTimeSpan);
        var service = new ReplayService(tables, authenticator, identity, NullLoggerFactory.Instance, metrics);
        var server = await GrpcTestServer.StartAsync(service.Register, service.ConfigureOptions);
        return new AdminHarness(server, backend, tables, metrics, admin, readiness);
    }

    public void TickRates() => _admin.Rates.Tick();

    /// <summary>GETs an admin path in process, from <paramref name="remote"/> (loopback by default).</summary>
    public async Task<AdminResponse> GetAsync(string pathAndQuery, IPAddress? remote = null, string? authorization = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        var query = pathAndQuery.IndexOf('?');
        context.Request.Path = query < 0 ? pathAndQuery : pathAndQuery[..query];
        if (query >= 0)
            context.Request.QueryString = new QueryString(pathAndQuery[query..]);
        context.Connection.RemoteIpAddress = remote ?? IPAddress.Loopback;
        if (authorization is not null)
            context.Request.Headers.Authorization = authorization;
        var body = new MemoryStream();
        context.Response.Body = body;
        await Endpoints.HandleAsync(context);
        return new AdminResponse(context.Response.StatusCode, context.Response.ContentType, System.Text.Encoding.UTF8.GetString(body.ToArray()), context.Response.Headers);
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _server.DisposeAsync();
        await _admin.DisposeAsync();
        Tables.Dispose();
        Metrics.Dispose();
        _backend.Dispose();
    }
}

/// <summary>An admin response read in process.</summary>
internal sealed record AdminResponse(int Status, string? ContentType, string Body, IHeaderDictionary Headers)
{
    public System.Text.Json.JsonElement Json => System.Text.Json.JsonDocument.Parse(Body).RootElement;
}
