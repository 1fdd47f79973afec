using Gear.Protocol.Grpc;
using Google.Protobuf;

namespace Gear.Server.Grpc;

/// <summary>Runs one kind of handler: reads its requests, calls it, writes its responses. Failures throw.</summary>
internal abstract class ServerCallHandler
{
    public abstract MethodType Type { get; }

    public abstract Task InvokeAsync(ServerCallContext context);
}

internal sealed class UnaryCallHandler<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler)
    : ServerCallHandler
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    public override MethodType Type => MethodType.Unary;

    public override async Task InvokeAsync(ServerCallContext context)
    {
        TRequest request = await new RequestStreamReader<TRequest>(context, method.RequestDecoder).ReadSingleAsync().ConfigureAwait(false);
        TResponse response = await handler(request, context).ConfigureAwait(false) ?? throw NullResponse();
        await context.WriteMessageAsync(response, flush: false, context.CancellationToken).ConfigureAwait(false);
    }

    internal static RpcException NullResponse() =>
        new(new Status(StatusCode.Internal, "The handler returned no response message."));
}

internal sealed class ClientStreamingCallHandler<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse> handler)
    : ServerCallHandler
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    public override MethodType Type => MethodType.ClientStreaming;

    public override async Task InvokeAsync(ServerCallContext context)
    {
        var requests = new RequestStreamReader<TRequest>(context, method.RequestDecoder);
        TResponse response = await handler(requests, context).ConfigureAwait(false)
            ?? throw UnaryCallHandler<TRequest, TResponse>.NullResponse();
        await context.WriteMessageAsync(response, flush: false, context.CancellationToken).ConfigureAwait(false);
    }
}

internal sealed class ServerStreamingCallHandler<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse> handler)
    : ServerCallHandler
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    public override MethodType Type => MethodType.ServerStreaming;

    public override async Task InvokeAsync(ServerCallContext context)
    {
        TRequest request = await new RequestStreamReader<TRequest>(context, method.RequestDecoder).ReadSingleAsync().ConfigureAwait(false);
        await handler(request, new ResponseStreamWriter<TResponse>(context), context).ConfigureAwait(false);
    }
}

/// <summary>
/// A duplex call whose requests <paramref name="decode"/> turns into <typeparamref name="TDecoded"/> values, which
/// may borrow the request body's bytes until the handler's next MoveNext when <paramref name="requestsBorrowBytes"/>.
/// </summary>
internal sealed class DuplexStreamingCallHandler<TDecoded, TResponse>(
    MessageDecoder<TDecoded> decode, DuplexStreamingServerMethod<TDecoded, TResponse> handler, bool requestsBorrowBytes = false)
    : ServerCallHandler
    where TDecoded : class
    where TResponse : class, IMessage<TResponse>
{
    public override MethodType Type => MethodType.DuplexStreaming;

    public override Task InvokeAsync(ServerCallContext context) =>
        handler(new RequestStreamReader<TDecoded>(context, decode, requestsBorrowBytes), new ResponseStreamWriter<TResponse>(context), context);
}
