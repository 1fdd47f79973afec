using Microsoft.AspNetCore.Http;

namespace Gear.Server.Hosting;

/// <summary>
/// The admin listener's routes: <c>/healthz</c> (the process is up) and <c>/readyz</c> (tables created, not
/// shutting down). The dashboard, <c>/api/v1</c> and <c>/metrics</c> will be added here; they are a later issue.
/// </summary>
public sealed class AdminEndpoints(ServerReadiness readiness)
{
    /// <summary>Answers one admin request.</summary>
    public Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
            return Text(context, StatusCodes.Status405MethodNotAllowed, "only GET and HEAD are served here");

        return request.Path.Value switch
        {
            "/healthz" => Text(context, StatusCodes.Status200OK, "ok"),
            "/readyz" => readiness.IsReady
                ? Text(context, StatusCodes.Status200OK, "ready")
                : Text(context, StatusCodes.Status503ServiceUnavailable, readiness.State),
            _ => Text(context, StatusCodes.Status404NotFound, "not found; admin routes: /healthz, /readyz"),
        };
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
