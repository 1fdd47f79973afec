using Gear.Core.Errors;
using Gear.Protocol.Grpc;
using Gear.Server.Service;

namespace Gear.Server.DataPlane;

/// <summary>What every data-plane session says when it stops early, whatever carries it: the end frame's status.</summary>
internal static class SessionEndStatus
{
    /// <summary>The end frame's status for what stopped a stream early.</summary>
    public static (int Code, string Message) Describe(Exception failure, ServedTable served) => failure switch
    {
        GearException gear => ((int)gear.Code, gear.Message),
        RpcException rpc => ((int)rpc.StatusCode, rpc.Status.Detail),
        OperationCanceledException when served.Dropping.IsCancellationRequested => ((int)StatusCode.Unavailable, $"table '{served.Name}' was dropped"),
        OperationCanceledException => ((int)StatusCode.Unavailable, "the server is shutting down"),
        _ => ((int)StatusCode.Internal, failure.Message),
    };
}
