using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gear.Server.Hosting;

/// <summary>
/// Sends each request to the handler of the listener its connection arrived on. Each listener tags its
/// connections (a connection item) as they are accepted; the tag is exact even when a port is chosen by the
/// system (port 0), where comparing local ports would need the bound port first.
/// </summary>
public static class ListenerRouting
{
    private static readonly object TagKey = typeof(ListenerKind);

    /// <summary>Tags every connection accepted by <paramref name="listen"/> with <paramref name="kind"/>. Call before UseHttps.</summary>
    public static void Tag(ListenOptions listen, ListenerKind kind) =>
        listen.Use(next => connection =>
        {
            connection.Items[TagKey] = kind;
            return next(connection);
        });

    /// <summary>The listener the request's connection arrived on, or null for an untagged connection.</summary>
    public static ListenerKind? ListenerOf(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(TagKey, out var kind) == true
            ? (ListenerKind?)kind
            : null;

    /// <summary>A request delegate that dispatches to <paramref name="grpc"/> or <paramref name="admin"/> by listener.</summary>
    public static RequestDelegate Dispatch(RequestDelegate grpc, RequestDelegate admin) => context =>
        ListenerOf(context) switch
        {
            ListenerKind.Grpc => grpc(context),
            ListenerKind.Admin => admin(context),
            _ => NotFound(context),
        };

    private static Task NotFound(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }
}
