using Gear.Protocol.Grpc;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;

namespace Gear.Server.Grpc;

/// <summary>
/// Serves registered gRPC methods on Kestrel: <see cref="HandleAsync"/> takes an HTTP/2 request and does the
/// whole gRPC call (validation, deadline, cancellation, framing, status). Register methods before serving.
/// </summary>
public sealed partial class GrpcServiceHost
{
    private readonly GrpcServerOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<string, ServerCallHandler> _handlers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();

    /// <summary>Creates a host with no methods.</summary>
    public GrpcServiceHost(GrpcServerOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (options.MaxReceiveMessageSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), "MaxReceiveMessageSize must be positive.");
        if (options.MaxSendMessageSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), "MaxSendMessageSize must be positive.");
        _options = options;
        _logger = logger;
    }

    /// <summary>The host's settings.</summary>
    public GrpcServerOptions Options => _options;

    /// <summary>True once <see cref="BeginShutdown"/> has been called.</summary>
    public bool IsShuttingDown => _shutdown.IsCancellationRequested;

    /// <summary>The paths of the registered methods.</summary>
    public IReadOnlyCollection<string> MethodPaths => _handlers.Keys;

    /// <summary>Registers a unary method.</summary>
    public void AddUnary<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(handler);
        Add(method, MethodType.Unary, new UnaryCallHandler<TRequest, TResponse>(method, handler));
    }

    /// <summary>Registers a server-streaming method.</summary>
    public void AddServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(handler);
        Add(method, MethodType.ServerStreaming, new ServerStreamingCallHandler<TRequest, TResponse>(method, handler));
    }

    /// <summary>Registers a client-streaming method.</summary>
    public void AddClientStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(handler);
        Add(method, MethodType.ClientStreaming, new ClientStreamingCallHandler<TRequest, TResponse>(method, handler));
    }

    /// <summary>Registers a duplex-streaming method.</summary>
    public void AddDuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(handler);
        Add(method, MethodType.DuplexStreaming, new DuplexStreamingCallHandler<TRequest, TResponse>(method.RequestDecoder, handler));
    }

    /// <summary>
    /// Registers a duplex-streaming method whose requests are decoded by <paramref name="decode"/> instead of the
    /// method's parser: for requests whose bytes the handler wants where they are rather than copied into new
    /// arrays per message. A decoded request may refer to the request body's bytes (the payload given to
    /// <paramref name="decode"/>): they stay valid until the handler's next <c>MoveNext</c>, so the handler must be
    /// done with a request before it reads the next.
    /// </summary>
    public void AddDuplexStreaming<TRequest, TResponse, TDecoded>(
        Method<TRequest, TResponse> method, MessageDecoder<TDecoded> decode, DuplexStreamingServerMethod<TDecoded, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
        where TDecoded : class
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(decode);
        ArgumentNullException.ThrowIfNull(handler);
        Add(method, MethodType.DuplexStreaming, new DuplexStreamingCallHandler<TDecoded, TResponse>(decode, handler, requestsBorrowBytes: true));
    }

    /// <summary>
    /// Cancels every call in flight (they end with UNAVAILABLE "server is shutting down") and refuses new
    /// ones the same way. Call before stopping Kestrel so that streams end with a status rather than a reset.
    /// </summary>
    public void BeginShutdown()
    {
        if (_shutdown.IsCancellationRequested) return;
        LogShutdown(_logger);
        _shutdown.Cancel();
    }

    /// <summary>
    /// Handles one HTTP request as a gRPC call. HTTP/1.x gets 426, a non-POST 405, a content type other than
    /// application/grpc 415; everything after that is answered with a gRPC status. Never throws for a bad
    /// request or a failing handler.
    /// </summary>
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        HttpRequest request = context.Request;
        HttpResponse response = context.Response;

        if (!HttpProtocol.IsHttp2(request.Protocol) && !HttpProtocol.IsHttp3(request.Protocol))
        {
            LogRefused(_logger, request.Path, $"{request.Protocol} is not HTTP/2");
            response.StatusCode = StatusCodes.Status426UpgradeRequired;
            response.Headers.Upgrade = request.IsHttps ? "h2" : "h2c";
            response.ContentType = "text/plain";
            await response.WriteAsync("gRPC requires HTTP/2.\n").ConfigureAwait(false);
            return;
        }
        if (!HttpMethods.IsPost(request.Method))
        {
            LogRefused(_logger, request.Path, $"method {request.Method} is not POST");
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "POST";
            return;
        }
        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            LogRefused(_logger, request.Path, $"content-type '{request.ContentType}' is not application/grpc");
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            response.ContentType = "text/plain";
            await response.WriteAsync("gRPC requires content-type application/grpc.\n").ConfigureAwait(false);
            return;
        }

        string path = request.Path.Value ?? string.Empty;
        if (!_handlers.TryGetValue(path, out ServerCallHandler? handler))
        {
            LogRefused(_logger, path, "no such method");
            GrpcResponseHeaders.WriteTrailersOnly(response, new Status(StatusCode.Unimplemented, $"Method {path} is not implemented by this server."));
            return;
        }
        if (_shutdown.IsCancellationRequested)
        {
            GrpcResponseHeaders.WriteTrailersOnly(response, ShuttingDown);
            return;
        }
        string? encoding = request.Headers[GrpcProtocol.EncodingHeader];
        if (!string.IsNullOrEmpty(encoding) && !string.Equals(encoding, GrpcProtocol.IdentityEncoding, StringComparison.OrdinalIgnoreCase))
        {
            LogRefused(_logger, path, $"grpc-encoding '{encoding}' is not supported");
            response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.IdentityEncoding;
            GrpcResponseHeaders.WriteTrailersOnly(response, new Status(StatusCode.Unimplemented,
                $"Message encoding '{encoding}' is not supported; this server accepts identity only."));
            return;
        }
        TimeSpan? timeout = null;
        string? timeoutText = request.Headers[GrpcProtocol.TimeoutHeader];
        if (timeoutText is not null)
        {
            // The spec does not say what a bad grpc-timeout means. We refuse it with INTERNAL (a protocol
            // violation, like bad framing) rather than ignore it: a client that meant a deadline should learn
            // that it was not honoured.
            if (!GrpcTimeout.TryParse(timeoutText, out TimeSpan parsed))
            {
                LogRefused(_logger, path, $"grpc-timeout '{timeoutText}' is malformed");
                GrpcResponseHeaders.WriteTrailersOnly(response, new Status(StatusCode.Internal,
                    $"Malformed grpc-timeout header '{timeoutText}': expected at most 8 digits and a unit (H, M, S, m, u, n)."));
                return;
            }
            timeout = parsed;
        }

        AllowLongStreams(context);
        GrpcResponseHeaders.WriteStart(response);
        var call = new ServerCallContext(context, path, _options, timeout, _shutdown.Token);
        try
        {
            await RunCallAsync(handler, call).ConfigureAwait(false);
        }
        finally
        {
            call.DisposeCancellation();
        }
    }

    private static Status ShuttingDown => new(StatusCode.Unavailable, "server is shutting down");

    private async Task RunCallAsync(ServerCallHandler handler, ServerCallContext call)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        Status status;
        Metadata? trailers = null;
        try
        {
            if (_options.Interceptor is { } interceptor) await interceptor(call).ConfigureAwait(false);
            await handler.InvokeAsync(call).ConfigureAwait(false);
            status = Status.Ok;
        }
        catch (Exception exception)
        {
            status = StatusForException(exception, call, out trailers);
        }
        _options.CallCompleted?.Invoke(call.Method, handler.Type, call.ClientGone ? StatusCode.Cancelled : status.StatusCode,
            System.Diagnostics.Stopwatch.GetElapsedTime(started));

        if (call.ClientGone)
        {
            // The client reset the stream (cancel, its deadline, dispose): there is nobody to send a status to.
            LogClientCancelled(_logger, call.Method);
            return;
        }
        try
        {
            await call.CompleteAsync(status, trailers).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            // The connection failed while the status was on its way; the client sees a reset or a closed connection.
            LogCompletionFailed(_logger, call.Method, exception);
        }
    }

    private Status StatusForException(Exception exception, ServerCallContext call, out Metadata? trailers)
    {
        trailers = null;
        if (exception is RpcException rpc)
        {
            trailers = rpc.Trailers;
            return rpc.Status;
        }
        if (exception is OperationCanceledException or IOException or Microsoft.AspNetCore.Connections.ConnectionAbortedException
            && call.CancellationToken.IsCancellationRequested)
        {
            if (call.ClientGone) return new Status(StatusCode.Cancelled, "The call was cancelled by the client.");
            if (call.DeadlineExpired)
            {
                LogDeadlineExceeded(_logger, call.Method);
                return new Status(StatusCode.DeadlineExceeded, "Deadline exceeded.");
            }
            if (call.ShutdownRequested) return ShuttingDown;
        }
        try
        {
            if (_options.ExceptionMapper?.Invoke(exception) is { } mapped) return mapped;
        }
        catch (Exception mapperFailure)
        {
            LogHandlerFailed(_logger, call.Method, mapperFailure);
        }
        if (exception is OperationCanceledException) return new Status(StatusCode.Cancelled, "The operation was cancelled.");
        LogHandlerFailed(_logger, call.Method, exception);
        // The exception text stays in the server log: it may name internals the caller has no business seeing.
        return new Status(StatusCode.Unknown, "Exception was thrown by handler.");
    }

    private static void AllowLongStreams(HttpContext context)
    {
        // Kestrel's defaults suit web requests, not gRPC streams: a 30 MB body cap would end a long insert
        // stream, and the minimum data rates would kill a stream that idles between batches.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } maxBody) maxBody.MaxRequestBodySize = null;
        if (context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } minRequestRate) minRequestRate.MinDataRate = null;
        if (context.Features.Get<IHttpMinResponseDataRateFeature>() is { } minResponseRate) minResponseRate.MinDataRate = null;
    }

    private void Add<TRequest, TResponse>(Method<TRequest, TResponse> method, MethodType declaredType, ServerCallHandler handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        if (method.Type != declaredType)
        {
            throw new ArgumentException($"Method {method.FullName} is {method.Type}, but was registered as {declaredType}.", nameof(method));
        }
        if (!_handlers.TryAdd(method.FullName, handler))
        {
            throw new InvalidOperationException($"Method {method.FullName} is already registered.");
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "gRPC handler for {Method} failed")]
    private static partial void LogHandlerFailed(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "gRPC request to {Path} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string? path, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "gRPC call {Method} cancelled by the client")]
    private static partial void LogClientCancelled(ILogger logger, string method);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "gRPC call {Method} exceeded its deadline")]
    private static partial void LogDeadlineExceeded(ILogger logger, string method);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "gRPC call {Method} could not send its status")]
    private static partial void LogCompletionFailed(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "gRPC host shutting down: calls in flight end with UNAVAILABLE")]
    private static partial void LogShutdown(ILogger logger);
}
