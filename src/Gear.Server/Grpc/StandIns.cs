// TEMPORARY compile-only stand-ins for the grpc-layer branch; delete at merge.
#pragma warning disable CS1591
using Gear.Protocol.Grpc;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
namespace Gear.Server.Grpc;
public interface IServerStreamWriter<T> : IAsyncStreamWriter<T> { }
public sealed class ServerCallContext
{
    public string Method { get; init; } = "";
    public Metadata RequestHeaders { get; } = new();
    public DateTime Deadline { get; init; } = DateTime.MaxValue;
    public CancellationToken CancellationToken { get; init; }
    public string Peer { get; init; } = "";
    public bool IsLoopback { get; init; }
    public HttpContext HttpContext { get; init; } = null!;
    public Metadata ResponseTrailers { get; } = new();
    public Task WriteResponseHeadersAsync(Metadata headers) => Task.CompletedTask;
}
public delegate Task<TResp> UnaryServerMethod<TReq, TResp>(TReq request, ServerCallContext context);
public delegate Task ServerStreamingServerMethod<TReq, TResp>(TReq request, IServerStreamWriter<TResp> responses, ServerCallContext context);
public delegate Task<TResp> ClientStreamingServerMethod<TReq, TResp>(IAsyncStreamReader<TReq> requests, ServerCallContext context);
public delegate Task DuplexStreamingServerMethod<TReq, TResp>(IAsyncStreamReader<TReq> requests, IServerStreamWriter<TResp> responses, ServerCallContext context);
public sealed class GrpcServerOptions
{
    public int MaxReceiveMessageSize { get; set; } = 64 << 20;
    public int MaxSendMessageSize { get; set; } = 64 << 20;
    public Func<ServerCallContext, ValueTask>? Interceptor { get; set; }
    public Func<Exception, Status?>? ExceptionMapper { get; set; }
}
public sealed class GrpcServiceHost(GrpcServerOptions options, ILogger logger)
{
    public GrpcServerOptions Options => options; public ILogger Logger => logger;
    public void AddUnary<TReq, TResp>(Method<TReq, TResp> m, UnaryServerMethod<TReq, TResp> h) where TReq : IMessage<TReq> where TResp : IMessage<TResp> { }
    public void AddServerStreaming<TReq, TResp>(Method<TReq, TResp> m, ServerStreamingServerMethod<TReq, TResp> h) where TReq : IMessage<TReq> where TResp : IMessage<TResp> { }
    public void AddClientStreaming<TReq, TResp>(Method<TReq, TResp> m, ClientStreamingServerMethod<TReq, TResp> h) where TReq : IMessage<TReq> where TResp : IMessage<TResp> { }
    public void AddDuplexStreaming<TReq, TResp>(Method<TReq, TResp> m, DuplexStreamingServerMethod<TReq, TResp> h) where TReq : IMessage<TReq> where TResp : IMessage<TResp> { }
    public Task HandleAsync(HttpContext context) => Task.CompletedTask;
    public void BeginShutdown() { }
}
