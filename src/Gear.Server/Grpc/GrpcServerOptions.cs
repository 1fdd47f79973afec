using Gear.Protocol.Grpc;

namespace Gear.Server.Grpc;

/// <summary>Settings of a <see cref="GrpcServiceHost"/>.</summary>
public sealed class GrpcServerOptions
{
    /// <summary>The largest request message accepted, in bytes (default 64 MiB). Larger ones fail with RESOURCE_EXHAUSTED.</summary>
    public int MaxReceiveMessageSize { get; set; } = 64 * 1024 * 1024;

    /// <summary>The largest response message sent, in bytes (default 64 MiB). Larger ones fail the call with RESOURCE_EXHAUSTED.</summary>
    public int MaxSendMessageSize { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// Runs before every handler, before the request message is read (so that refusing costs nothing).
    /// Throw <see cref="RpcException"/> to refuse the call, e.g. UNAUTHENTICATED.
    /// </summary>
    public Func<ServerCallContext, ValueTask>? Interceptor { get; set; }

    /// <summary>
    /// Maps an exception a handler threw to the status the client gets; return null for exceptions it does
    /// not know (they become UNKNOWN with a generic message, and are logged).
    /// </summary>
    public Func<Exception, Status?>? ExceptionMapper { get; set; }

    /// <summary>
    /// Told once per call that reached a registered method, when its status is known: the method's path, its
    /// kind, the status code and how long the call took. For metrics; it must be quick and must not throw.
    /// </summary>
    public Action<string, MethodType, StatusCode, TimeSpan>? CallCompleted { get; set; }
}
