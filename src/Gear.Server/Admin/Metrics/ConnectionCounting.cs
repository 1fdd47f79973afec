using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gear.Server.Admin.Metrics;

/// <summary>
/// Counts the connections a listener accepts and holds open (the dashboard's "connections", the
/// gear_grpc_connections gauge): one increment when a connection opens, one decrement when it closes.
/// </summary>
public static class ConnectionCounting
{
    /// <summary>Counts the connections accepted by <paramref name="listen"/> into <paramref name="metrics"/>.</summary>
    public static void Count(ListenOptions listen, GearMetrics metrics) =>
        listen.Use(next => connection => CountAsync(connection, next, metrics));

    private static async Task CountAsync(ConnectionContext connection, ConnectionDelegate next, GearMetrics metrics)
    {
        metrics.ConnectionOpened();
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            metrics.ConnectionClosed();
        }
    }
}
