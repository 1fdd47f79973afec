namespace Gear.Protocol.Grpc;

/// <summary>A server-streaming call in flight. Dispose it; disposing before the end cancels the call (RST_STREAM).</summary>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class AsyncServerStreamingCall<TResponse> : IDisposable
{
    private readonly IClientCall _call;

    internal AsyncServerStreamingCall(IClientCall call)
    {
        _call = call;
        ResponseStream = (IAsyncStreamReader<TResponse>)call;
    }

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
