using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Gear.Server.Admin.Metrics;
using Microsoft.AspNetCore.Http;

namespace Gear.Server.Admin;

/// <summary>
/// The admin listener's data routes: the dashboard (<c>/</c> and its files), <c>/api/v1/...</c> (JSON) and
/// <c>/metrics</c> (Prometheus text). Every one checks <see cref="AdminAccess"/> first. The routes and every
/// JSON field are documented in README.md next to this file.
/// </summary>
public sealed class AdminSite(AdminAccess access, AdminApi api, MetricsCollector collector)
{
    /// <summary>The routes this site serves, for the 404 message.</summary>
    public const string Routes = "/, /api/v1/server, /api/v1/tables, /api/v1/tables/{name}, /metrics";

    private const string ApiPrefix = "/api/v1/";
    private const string TablesPrefix = "/api/v1/tables/";

    // The page may load only from this server: no CDN, no external fonts, no inline script.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'";

    /// <summary>Answers the request if its path is one of this site's; false for any other path.</summary>
    public async Task<bool> TryHandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var isAsset = DashboardAssets.TryGet(path, out var asset);
        if (!isAsset && path != "/metrics" && path != "/api/v1" && !path.StartsWith(ApiPrefix, StringComparison.Ordinal))
            return false;

        var decision = access.Check(context);
        if (!decision.Allowed)
        {
            if (decision.Status == StatusCodes.Status401Unauthorized)
                context.Response.Headers.WWWAuthenticate = "Bearer realm=\"gear admin\"";
            await WriteJsonAsync(context, decision.Status, new ErrorView(decision.Message!), AdminJsonContext.Default.ErrorView);
            return true;
        }

        if (isAsset)
        {
            context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers.CacheControl = "no-cache";
            await WriteAsync(context, StatusCodes.Status200OK, asset.ContentType, asset.Bytes);
            return true;
        }
        if (path == "/metrics")
        {
            var text = PrometheusExposition.Write(collector.Collect());
            await WriteAsync(context, StatusCodes.Status200OK, PrometheusExposition.ContentType, System.Text.Encoding.UTF8.GetBytes(text));
            return true;
        }
        await HandleApiAsync(context, path);
        return true;
    }

    private Task HandleApiAsync(HttpContext context, string path)
    {
        if (path == "/api/v1/server")
            return WriteJsonAsync(context, StatusCodes.Status200OK, api.Server(), AdminJsonContext.Default.ServerView);
        if (path is "/api/v1/tables" or "/api/v1/tables/")
        {
            var query = context.Request.Query;
            if (!TryReadInt(query["offset"], 0, out var offset) || !TryReadInt(query["limit"], AdminApi.DefaultPageSize, out var limit))
                return WriteJsonAsync(context, StatusCodes.Status400BadRequest,
                    new ErrorView("offset and limit must be whole numbers"), AdminJsonContext.Default.ErrorView);
            return WriteJsonAsync(context, StatusCodes.Status200OK, api.Tables(offset, limit, query["filter"]), AdminJsonContext.Default.TablePageView);
        }
        if (path.StartsWith(TablesPrefix, StringComparison.Ordinal))
        {
            // Kestrel has already decoded the path ("%20" → " "), except "%2F", which table names do not need.
            var name = path[TablesPrefix.Length..];
            return api.Table(name) is { } table
                ? WriteJsonAsync(context, StatusCodes.Status200OK, table, AdminJsonContext.Default.TableDetailView)
                : WriteJsonAsync(context, StatusCodes.Status404NotFound, new ErrorView($"table '{name}' does not exist"), AdminJsonContext.Default.ErrorView);
        }
        return WriteJsonAsync(context, StatusCodes.Status404NotFound,
            new ErrorView($"no such API route; routes: {Routes}"), AdminJsonContext.Default.ErrorView);
    }

    private static bool TryReadInt(string? text, int fallback, out int value)
    {
        value = fallback;
        return string.IsNullOrEmpty(text) || int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out value);
    }

    private static Task WriteJsonAsync<T>(HttpContext context, int status, T value, JsonTypeInfo<T> type)
    {
        context.Response.Headers.CacheControl = "no-store";
        return WriteAsync(context, status, "application/json; charset=utf-8", JsonSerializer.SerializeToUtf8Bytes(value, type));
    }

    private static Task WriteAsync(HttpContext context, int status, string contentType, byte[] body)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body).AsTask();
    }
}
