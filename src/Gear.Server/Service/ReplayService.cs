using Gear.Core.Errors;
using Gear.Protocol;
using Gear.Server.Admin.Metrics;
using Gear.Protocol.Grpc;
using Gear.Server.Grpc;
using Gear.Server.Security;
using Microsoft.Extensions.Logging;

namespace Gear.Server.Service;

/// <summary>
/// The gear.v1.Replay service: every RPC of replay.proto, served from a <see cref="TableRegistry"/>. Handlers
/// validate against the table spec (Gear.Core names the field at fault) and refuse with the matching status;
/// nothing a caller sends can corrupt a table or stop the server.
/// </summary>
public sealed partial class ReplayService
{
    private readonly TableRegistry _tables;
    private readonly CallAuthorizer _authorizer;
    private readonly ServerIdentity _identity;
    private readonly ILogger<ReplayService> _logger;
    private readonly GearMetrics _metrics;

    /// <summary>Creates the service over <paramref name="tables"/>.</summary>
    /// <param name="tables">The tables served.</param>
    /// <param name="auth">The bearer tokens.</param>
    /// <param name="identity">What GetServerInfo reports.</param>
    /// <param name="loggers">Logging.</param>
    /// <param name="metrics">Where calls, inserts and samples are counted (a private, unobserved set when null).</param>
    public ReplayService(TableRegistry tables, TokenAuthenticator auth, ServerIdentity identity, ILoggerFactory loggers, GearMetrics? metrics = null)
    {
        _metrics = metrics ?? new GearMetrics();
        _tables = tables;
        _authorizer = new CallAuthorizer(auth);
        _identity = identity;
        _logger = loggers.CreateLogger<ReplayService>();
    }

    /// <summary>Installs the service's authorization check and error mapping into the gRPC options.</summary>
    public void ConfigureOptions(GrpcServerOptions options)
    {
        options.Interceptor = _authorizer.AuthorizeAsync;
        options.ExceptionMapper = MapException;
        options.CallCompleted = _metrics.CallCompleted;
    }

    /// <summary>Registers every RPC of gear.v1.Replay with <paramref name="host"/>.</summary>
    public void Register(GrpcServiceHost host)
    {
        host.AddUnary(ReplayMethods.CreateTable, CreateTable);
        host.AddUnary(ReplayMethods.DropTable, DropTable);
        host.AddUnary(ReplayMethods.ListTables, ListTables);
        host.AddUnary(ReplayMethods.GetServerInfo, GetServerInfo);
        host.AddDuplexStreaming(ReplayMethods.InsertStream, InsertRequestDecoder.Decode, InsertStream);
        host.AddUnary(ReplayMethods.Sample, Sample);
        host.AddServerStreaming(ReplayMethods.SampleStream, SampleStream);
        host.AddUnary(ReplayMethods.UpdatePriorities, UpdatePriorities);
        host.AddUnary(ReplayMethods.Delete, Delete);
        host.AddUnary(ReplayMethods.Reset, Reset);
        host.AddUnary(ReplayMethods.Checkpoint, Checkpoint);
        host.AddUnary(ReplayMethods.OpenDataPlane, OpenDataPlane);
    }

    /// <summary>Gear.Core refusals carry their gRPC code (GearErrorCode mirrors it) and a message naming the problem.</summary>
    internal static Status? MapException(Exception exception) => exception switch
    {
        GearException gear => new Status((StatusCode)(int)gear.Code, gear.Message),
        _ => null,
    };
}
