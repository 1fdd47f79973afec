using System.Net;
using Gear.Server.Security;
using Microsoft.AspNetCore.Http;

namespace Gear.Server.Admin;

/// <summary>
/// Who may read the admin routes (dashboard, <c>/api/v1</c>, <c>/metrics</c>). Loopback callers always may:
/// whoever can open a loopback connection is on the machine already, and this keeps a local browser and a
/// local Prometheus agent working without a token. Other callers need <c>Authorization: Bearer &lt;token&gt;</c>
/// with a token of the admin role; when no tokens are configured there is nothing to check them against and
/// they are refused. (<c>/healthz</c> and <c>/readyz</c> stay open to every caller: probes carry no tokens.)
/// </summary>
public sealed class AdminAccess(TokenAuthenticator authenticator)
{
    private const string BearerPrefix = "Bearer ";

    /// <summary>The decision for one request.</summary>
    /// <param name="Status">200 when allowed; else 401 (no or unknown token) or 403 (not allowed).</param>
    /// <param name="Message">Why not, for the response body; never echoes the token.</param>
    public readonly record struct Decision(int Status, string? Message)
    {
        /// <summary>Whether the request may proceed.</summary>
        public bool Allowed => Status == StatusCodes.Status200OK;
    }

    /// <summary>Decides whether <paramref name="context"/>'s caller may read admin data.</summary>
    public Decision Check(HttpContext context)
    {
        if (context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address))
            return new(StatusCodes.Status200OK, null);
        if (!authenticator.RequiresTokens)
            return new(StatusCodes.Status403Forbidden,
                "this server has no tokens configured, so its admin routes answer loopback callers only");
        string? header = context.Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
            return new(StatusCodes.Status401Unauthorized, "send 'Authorization: Bearer <admin token>'");
        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
            return new(StatusCodes.Status401Unauthorized, "the authorization header is not a bearer token; send 'Authorization: Bearer <admin token>'");
        return authenticator.Authenticate(header[BearerPrefix.Length..].Trim()) switch
        {
            null => new(StatusCodes.Status401Unauthorized, "the bearer token is not valid"),
            Role.Admin => new(StatusCodes.Status200OK, null),
            var role => new(StatusCodes.Status403Forbidden,
                $"role {role.Value.ToString().ToLowerInvariant()} may not read the admin routes: reading them needs admin"),
        };
    }
}
