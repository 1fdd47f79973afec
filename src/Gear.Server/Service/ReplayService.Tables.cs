using Gear.Core.Errors;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Grpc;

namespace Gear.Server.Service;

public sealed partial class ReplayService
{
    private Task<CreateTableResponse> CreateTable(CreateTableRequest request, ServerCallContext context)
    {
        if (request.Spec is null)
            throw new GearException(GearErrorCode.InvalidArgument, "spec is required");
        var table = _tables.Create(request.Spec);
        return Task.FromResult(new CreateTableResponse { Table = TableInfoMapping.ToWire(table, request.Spec.WriteAheadLog) });
    }

    private async Task<DropTableResponse> DropTable(DropTableRequest request, ServerCallContext context)
    {
        await _tables.DropAsync(request.Table).ConfigureAwait(false);
        return new DropTableResponse();
    }

    private Task<ListTablesResponse> ListTables(ListTablesRequest request, ServerCallContext context)
    {
        var response = new ListTablesResponse();
        foreach (var served in _tables.Served)
        {
            // A table dropped since the listing began is simply left out.
            if (!served.TryAcquire(out var lease))
                continue;
            using (lease)
                response.Tables.Add(TableInfoMapping.ToWire(lease.Table, lease.Served.Log is not null));
        }
        return Task.FromResult(response);
    }

    private Task<ServerInfo> GetServerInfo(GetServerInfoRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerInfo
        {
            Version = _identity.Version,
            Backend = _identity.Backend,
            BackendReason = _identity.BackendReason,
            UptimeMs = (long)(DateTime.UtcNow - _identity.StartedUtc).TotalMilliseconds,
            TableCount = _tables.Count,
            MaxReceiveMessageBytes = _identity.MaxReceiveMessageBytes,
            MaxSendMessageBytes = _identity.MaxSendMessageBytes,
            DataPlaneTransports = { DataPlaneTransports },
            DataPlaneReason = DataPlaneReason,
        });
}
