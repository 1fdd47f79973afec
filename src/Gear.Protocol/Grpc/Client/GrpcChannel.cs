using System.Net;
using System.Net.Http;
using System.Net.Security;
using Google.Protobuf;

namespace Gear.Protocol.Grpc;

/// <summary>
/// A client connection to one gRPC server over HTTP/2: "http://" addresses use cleartext HTTP/2 with prior
/// knowledge, "https://" use TLS with ALPN. Thread-safe; calls share the connection(s). Dispose when done.
/// </summary>
public sealed class GrpcChannel : IDisposable
{
    private readonly HttpClient _httpClient;

    private GrpcChannel(Uri address, GrpcChannelOptions options)
    {
        Address = address;
        Options = options;
        var handler = new SocketsHttpHandler
        {
            // More than the server's stream limit (100 by default) in flight opens a second connection
            // instead of queueing calls behind each other.
            EnableMultipleHttp2Connections = true,
            InitialHttp2StreamWindowSize = options.InitialStreamWindowSize,
            KeepAlivePingDelay = options.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = options.KeepAlivePingWithoutCalls ? HttpKeepAlivePingPolicy.Always : HttpKeepAlivePingPolicy.WithActiveRequests,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
        };
        if (options.SslOptions is not null) handler.SslOptions = options.SslOptions;
        CertificateValidation = options.ServerCertificateValidationCallback
            ?? (options.TrustedRootCertificate is { } root ? TrustedRootValidation.For(root) : null);
        if (CertificateValidation is not null)
            handler.SslOptions.RemoteCertificateValidationCallback = CertificateValidation;
        _httpClient = new HttpClient(handler, disposeHandler: true)
        {
            // Deadlines are per call (CallOptions.Deadline); HttpClient's 100 s default would cut long streams.
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>The server address.</summary>
    public Uri Address { get; }

    /// <summary>The channel's settings.</summary>
    public GrpcChannelOptions Options { get; }

    internal HttpClient HttpClient => _httpClient;

    /// <summary>How the server's TLS certificate is checked; null for the system's validation.</summary>
    internal RemoteCertificateValidationCallback? CertificateValidation { get; }

    /// <summary>Creates a channel to <paramref name="address"/> ("http://host:port" or "https://host:port").</summary>
    public static GrpcChannel ForAddress(Uri address, GrpcChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"Address '{address}' must start with http:// or https://.", nameof(address));
        }
        options ??= new GrpcChannelOptions();
        options.Validate();
        return new GrpcChannel(address, options);
    }

    /// <summary>Makes a unary call and returns its response; failures throw <see cref="RpcException"/>.</summary>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        using var call = new ClientCall<TRequest, TResponse>(this, method.FullName, method.OwningResponseDecoder, options);
        call.Start(request);
        return await call.ReadSingleResponseAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Starts a server-streaming call: one request, then read <c>ResponseStream</c>. Each server-streaming call
    /// has an HTTP/2 connection of its own, whose replies are received straight into the buffers they are
    /// decoded from (see <see cref="Http2.SingleCallConnection"/>).
    /// </summary>
    public AsyncServerStreamingCall<TResponse> ServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(method);
        return ServerStreaming(method, request, method.OwningResponseDecoder, options);
    }

    /// <summary>
    /// Starts a server-streaming call whose responses are decoded by <paramref name="decode"/> instead of the
    /// method's parser: for replies whose bytes the caller wants in its own (pooled) buffers rather than in
    /// new arrays per message.
    /// </summary>
    public AsyncServerStreamingCall<TDecoded> ServerStreaming<TRequest, TResponse, TDecoded>(
        Method<TRequest, TResponse> method, TRequest request, MessageDecoder<TDecoded> decode, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
        where TDecoded : class
    {
        ArgumentNullException.ThrowIfNull(decode);
        return ServerStreaming(method, request, MessageDecoders.Owning(decode), options);
    }

    /// <summary>
    /// Starts a server-streaming call whose responses are decoded by <paramref name="decode"/>, which takes over
    /// the pooled array each response was read into: for replies whose bytes the caller keeps (a learner's
    /// batch) without copying them again.
    /// </summary>
    public AsyncServerStreamingCall<TDecoded> ServerStreaming<TRequest, TResponse, TDecoded>(
        Method<TRequest, TResponse> method, TRequest request, OwningMessageDecoder<TDecoded> decode, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
        where TDecoded : class
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(decode);
        var call = new DedicatedStreamingCall<TRequest, TDecoded>(this, method.FullName, decode, options);
        call.Start(request);
        return new AsyncServerStreamingCall<TDecoded>(call);
    }

    /// <summary>Starts a client-streaming call: write <c>RequestStream</c>, complete it, await <c>ResponseAsync</c>.</summary>
    public AsyncClientStreamingCall<TRequest, TResponse> ClientStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var call = new ClientCall<TRequest, TResponse>(this, method.FullName, method.OwningResponseDecoder, options);
        call.Start(null);
        return new AsyncClientStreamingCall<TRequest, TResponse>(call);
    }

    /// <summary>
    /// Starts a duplex call: write <c>RequestStream</c> and read <c>ResponseStream</c> independently. Like a
    /// server-streaming call it has an HTTP/2 connection of its own, which sends each request in frames as
    /// large as the server allows, the buffers of a gathered message (an actor's append) written as they are.
    /// </summary>
    public AsyncDuplexStreamingCall<TRequest, TResponse> DuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(method);
        var call = new DedicatedStreamingCall<TRequest, TResponse>(this, method.FullName, method.OwningResponseDecoder, options);
        call.Start(null);
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(call);
    }

    /// <summary>Closes the connections; calls still in flight fail.</summary>
    public void Dispose() => _httpClient.Dispose();
}
