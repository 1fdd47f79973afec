using Gear.Server.Admin;
using Microsoft.AspNetCore.Http;

namespace Gear.Server.Hosting;

/// <summary>
/// The admin listener's routes: <c>/healthz</c> (the process is up) and <c>/readyz</c> (tables created, not
/// shutting down), open to every caller because probes carry no tokens; then, when a <see cref="AdminSite"/>
/// is given, the dashboard, <c>/api/v1/...</c> and <c>/metrics</c> (see src/Gear.Server/Admin/README.md).
/// </summary>
public sealed class AdminEndpoints(ServerReadiness readiness, AdminSite? site = null)
{
    /// <summary>Answers one admin request.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            await Text(context, StatusCodes.Status405MethodNotAllowed, "only GET and HEAD are served here");
            return;
        }

        switch (request.Path.Value)
        {
            case "/healthz":
                await Text(context, StatusCodes.Status200OK, "ok");
                return;
            case "/readyz":
                await (readiness.IsReady
                    ? Text(context, StatusCodes.Status200OK, "ready")
                    : Text(context, StatusCodes.Status503ServiceUnavailable, readiness.State));
                return;
        }
        if (site is not null && await site.TryHandleAsync(context))
            return;
        await Text(context, StatusCodes.Status404NotFound,
            site is null ? "not found; admin routes: /healthz, /readyz" : $"not found; admin routes: /healthz, /readyz, {AdminSite.Routes}");
    }

    private static Task Text(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        if (status == StatusCodes.Status405MethodNotAllowed)
            context.Response.Headers.Allow = "GET, HEAD";
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.WriteAsync(body + "\n");
    }
}
