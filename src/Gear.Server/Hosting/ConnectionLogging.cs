using System.Diagnostics;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gear.Server.Hosting;

/// <summary>
/// One log line when a gRPC connection opens and one when it closes (with how long it lasted): operators see
/// who connects without per-call or per-step noise.
/// </summary>
public static partial class ConnectionLogging
{
    /// <summary>Logs the connections accepted by <paramref name="listen"/> (category "gear.connections").</summary>
    public static void Log(ListenOptions listen) =>
        listen.Use(next =>
        {
            // The pipeline is built at start, when the host's logging is up.
            var logger = listen.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("gear.connections");
            return connection => LogAsync(connection, next, logger);
        });

    private static async Task LogAsync(ConnectionContext connection, ConnectionDelegate next, ILogger logger)
    {
        var started = Stopwatch.GetTimestamp();
        var peer = connection.RemoteEndPoint?.ToString() ?? "unknown";
        Opened(logger, connection.ConnectionId, peer);
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            Closed(logger, connection.ConnectionId, peer, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "connection {ConnectionId} from {Peer} opened")]
    private static partial void Opened(ILogger logger, string connectionId, string peer);

    [LoggerMessage(Level = LogLevel.Information, Message = "connection {ConnectionId} from {Peer} closed after {Seconds:0.###} s")]
    private static partial void Closed(ILogger logger, string connectionId, string peer, double seconds);
}
