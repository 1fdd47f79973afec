// TEMPORARY stand-ins until the grpc-layer and service branches merge; delete at merge.
// Only the members that hosting composes, with the signatures fixed in notes/api-contract.md. No real logic here.
#pragma warning disable CS1591
using Gear.Core.Compute;
using Gear.Core.Schema;
using Gear.Core.Selection;
using Gear.Core.Tables;
using Gear.Server.Grpc;
using Gear.Server.Security;
using Gear.Server.Service;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Wire = Gear.Protocol.V1;

namespace Gear.Server.Grpc
{
    public sealed class GrpcServerOptions
    {
        public int MaxReceiveMessageSize { get; set; } = 64 << 20;
        public int MaxSendMessageSize { get; set; } = 64 << 20;
    }

    public sealed class GrpcServiceHost(GrpcServerOptions options, ILogger logger)
    {
        public GrpcServerOptions Options => options;
        public ILogger Logger => logger;

        // Every request: HTTP 200 with grpc-status 12 (UNIMPLEMENTED) in a header (Trailers-Only shape).
        public Task HandleAsync(HttpContext context)
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = "12";
            return Task.CompletedTask;
        }

        public void BeginShutdown() { }
    }

    public static class GrpcKestrel
    {
        public static void ConfigureLimits(KestrelServerOptions options) { }
        public static void ConfigureListener(ListenOptions listen) => listen.Protocols = HttpProtocols.Http2;
    }
}

namespace Gear.Server.Security
{
    public enum Role { Actor, Learner, Admin }

    public sealed class TokenAuthenticator(IReadOnlyDictionary<string, Role> tokens)
    {
        public bool RequiresTokens => tokens.Count > 0;
    }
}

namespace Gear.Server.Service
{
    public sealed record ServerIdentity(
        string Version, string Backend, string BackendReason, DateTime StartedUtc, int MaxReceiveMessageBytes, int MaxSendMessageBytes);

    public sealed class TableRegistry(IComputeBackend backend, ILogger<TableRegistry> logger) : IDisposable
    {
        private readonly List<Table> _tables = [];

        public IReadOnlyCollection<Table> Tables => _tables;

        public ILogger<TableRegistry> Logger => logger;

        public Table Create(Wire.TableSpec spec)
        {
            var columns = spec.Columns.Select(c => new Gear.Core.Schema.ColumnSpec(c.Name, (DType)(int)c.Dtype, [.. c.Shape])).ToArray();
            var table = new Table(new Gear.Core.Schema.TableSpec
            {
                Name = spec.Name,
                Columns = columns,
                HostCapacityBytes = spec.HostCapacityBytes,
                MaxTrajectories = spec.MaxTrajectories,
                PageSteps = spec.PageSteps == 0 ? 32 : spec.PageSteps,
                Sampler = spec.Sampler == Wire.Selector.Prioritized ? SelectorKind.Prioritized : SelectorKind.Uniform,
            }, backend);
            _tables.Add(table);
            return table;
        }

        public void Dispose()
        {
            foreach (var table in _tables)
                table.Dispose();
            _tables.Clear();
        }
    }

    public sealed class ReplayService(TableRegistry tables, TokenAuthenticator auth, ServerIdentity identity, ILoggerFactory loggers)
    {
        public TableRegistry Tables => tables;
        public TokenAuthenticator Auth => auth;
        public ServerIdentity Identity => identity;
        public ILoggerFactory Loggers => loggers;

        public void ConfigureOptions(GrpcServerOptions options) { }

        public void Register(GrpcServiceHost host) { }
    }
}
