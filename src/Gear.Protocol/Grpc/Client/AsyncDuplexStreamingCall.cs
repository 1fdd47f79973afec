namespace Gear.Protocol.Grpc;

/// <summary>A duplex call in flight. Dispose it; disposing before the end cancels the call (RST_STREAM).</summary>
/// <typeparam name="TRequest">The request message type.</typeparam>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class AsyncDuplexStreamingCall<TRequest, TResponse> : IDisposable
{
    private readonly IClientCall _call;

    internal AsyncDuplexStreamingCall(IClientCall call)
    {
        _call = call;
        RequestStream = (IClientStreamWriter<TRequest>)call;
        ResponseStream = (IAsyncStreamReader<TResponse>)call;
    }

    /// <summary>The requests; call <c>CompleteAsync</c> after the last one.</summary>
    public IClientStreamWriter<TRequest> RequestStream { get; }

    /// <summary>The responses; <c>MoveNext</c> throws <see cref="RpcException"/> when the call fails.</summary>
    public IAsyncStreamReader<TResponse> ResponseStream { get; }

    /// <summary>The response headers, once the server sends them.</summary>
    public Task<Metadata> ResponseHeadersAsync => _call.ResponseHeadersAsync;

    /// <summary>The final status; only after the call has ended.</summary>
    public Status GetStatus() => _call.GetStatus();

    /// <summary>The trailing metadata; only after the call has ended.</summary>
    public Metadata GetTrailers() => _call.GetTrailers();

    /// <summary>Ends the call, cancelling it if it is still in flight.</summary>
    public void Dispose() => _call.Dispose();
}
