using Gear.Protocol.Grpc;
using Gear.Server.Grpc;

namespace Gear.Server.Service;

/// <summary>
/// How a call waits on a table (rate-limited samples and inserts): up to the caller's deadline, and no longer
/// than the caller stays or the table is served.
/// </summary>
internal static class CallWaits
{
    /// <summary>The time left before the call's deadline (infinite without one).</summary>
    public static TimeSpan Remaining(ServerCallContext context)
    {
        if (context.Deadline == DateTime.MaxValue)
            return Timeout.InfiniteTimeSpan;
        var left = context.Deadline - DateTime.UtcNow;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>A token cancelled when the caller goes away or the table is dropped.</summary>
    public static CancellationTokenSource Link(ServerCallContext context, ServedTable table) =>
        CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, table.Dropping);

    /// <summary>The error for a wait ended by the table being dropped.</summary>
    public static RpcException Dropped(ServedTable table) =>
        new(new Status(StatusCode.Unavailable, $"table '{table.Name}' was dropped while the call waited on it"));
}
