namespace Gear.Protocol.Grpc;

/// <summary>A client-streaming call in flight. Dispose it; disposing before the end cancels the call (RST_STREAM).</summary>
/// <typeparam name="TRequest">The request message type.</typeparam>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class AsyncClientStreamingCall<TRequest, TResponse> : IDisposable
{
    private readonly IClientCall _call;
    private readonly Lazy<Task<TResponse>> _response;

    internal AsyncClientStreamingCall(IClientCall call)
    {
        _call = call;
        RequestStream = (IClientStreamWriter<TRequest>)call;
        var reader = (ISingleResponseReader<TResponse>)call;
        _response = new Lazy<Task<TResponse>>(reader.ReadSingleResponseAsync);
    }

    /// <summary>The requests; call <c>CompleteAsync</c> after the last one.</summary>
    public IClientStreamWriter<TRequest> RequestStream { get; }

    /// <summary>The single response; throws <see cref="RpcException"/> when the call fails.</summary>
    public Task<TResponse> ResponseAsync => _response.Value;

    /// <summary>The response headers, once the server sends them.</summary>
    public Task<Metadata> ResponseHeadersAsync => _call.ResponseHeadersAsync;

    /// <summary>The final status; only after the call has ended.</summary>
    public Status GetStatus() => _call.GetStatus();

    /// <summary>The trailing metadata; only after the call has ended.</summary>
    public Metadata GetTrailers() => _call.GetTrailers();

    /// <summary>Ends the call, cancelling it if it is still in flight.</summary>
    public void Dispose() => _call.Dispose();
}
