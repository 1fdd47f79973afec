using Gear.Protocol.Grpc;
using Gear.Server.Grpc;

namespace Gear.Server.Security;

/// <summary>
/// Checks the bearer token of every call before its handler runs: UNAUTHENTICATED without a valid token,
/// PERMISSION_DENIED when the token's role may not make the call. Messages never echo the token.
/// </summary>
public sealed class CallAuthorizer(TokenAuthenticator authenticator)
{
    private const string BearerPrefix = "Bearer ";

    /// <summary>Refuses the call with an RpcException unless its caller may make it.</summary>
    public ValueTask AuthorizeAsync(ServerCallContext context)
    {
        var role = Authenticate(context);
        if (!MethodRoles.Allows(role, context.Method))
        {
            var required = MethodRoles.RequiredFor(context.Method);
            throw new RpcException(new Status(StatusCode.PermissionDenied,
                $"role {role.ToString().ToLowerInvariant()} may not call {context.Method}; it needs {(required ?? Role.Admin).ToString().ToLowerInvariant()}"));
        }
        return ValueTask.CompletedTask;
    }

    private Role Authenticate(ServerCallContext context)
    {
        if (!authenticator.RequiresTokens)
        {
            // No tokens configured: the server listens on loopback only, and loopback callers are trusted.
            if (context.IsLoopback)
                return Role.Admin;
            throw Unauthenticated("this server has no tokens configured and accepts loopback callers only");
        }
        var header = context.RequestHeaders.GetValue("authorization");
        if (header is null)
            throw Unauthenticated("the call has no authorization header; send 'authorization: Bearer <token>'");
        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
            throw Unauthenticated("the authorization header is not a bearer token; send 'authorization: Bearer <token>'");
        return authenticator.Authenticate(header[BearerPrefix.Length..].Trim())
            ?? throw Unauthenticated("the bearer token is not valid");
    }

    private static RpcException Unauthenticated(string message) => new(new Status(StatusCode.Unauthenticated, message));
}
