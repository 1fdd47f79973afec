using Gear.Protocol.Grpc;

namespace Gear.Server.Grpc;

/// <summary>The response stream of a server-streaming or duplex handler; each write is flushed to the client.</summary>
/// <typeparam name="T">The response message type.</typeparam>
public interface IServerStreamWriter<in T> : IAsyncStreamWriter<T>
{
    /// <summary>
    /// Writes one message of type <typeparamref name="T"/> that encodes itself (large replies written straight
    /// from the handler's buffers) into the response before it returns; what it returns is the flush to the
    /// client, so the handler may let go of what the message was encoded from before waiting on the learner.
    /// Do not start another write before this one completes.
    /// </summary>
    ValueTask WriteEncodedAsync(IEncodedMessage message, CancellationToken cancellationToken = default);
}

/// <summary>Handles a unary call: one request, one response.</summary>
public delegate Task<TResponse> UnaryServerMethod<TRequest, TResponse>(TRequest request, ServerCallContext context);

/// <summary>Handles a server-streaming call: one request, responses written to <paramref name="responses"/>.</summary>
public delegate Task ServerStreamingServerMethod<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responses, ServerCallContext context);

/// <summary>Handles a client-streaming call: requests read from <paramref name="requests"/>, one response.</summary>
public delegate Task<TResponse> ClientStreamingServerMethod<TRequest, TResponse>(IAsyncStreamReader<TRequest> requests, ServerCallContext context);

/// <summary>Handles a duplex call: requests and responses flow independently.</summary>
public delegate Task DuplexStreamingServerMethod<TRequest, TResponse>(IAsyncStreamReader<TRequest> requests, IServerStreamWriter<TResponse> responses, ServerCallContext context);
