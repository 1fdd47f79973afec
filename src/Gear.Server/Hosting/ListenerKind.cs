namespace Gear.Server.Hosting;

/// <summary>Which of the server's listeners a connection arrived on; requests are routed by it.</summary>
public enum ListenerKind
{
    /// <summary>The gRPC listener (HTTP/2).</summary>
    Grpc,

    /// <summary>The admin HTTP listener (HTTP/1.1 and HTTP/2).</summary>
    Admin,
}
