using System.Net.Http;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace Gear.Protocol.Grpc;

/// <summary>
/// One call on the client: the HTTP/2 request, its response, and the call's single final status. Whatever
/// ends the call first (trailers, a reset, a transport error, the deadline, cancellation, dispose) sets the
/// status; everything after reports that status.
/// </summary>
internal sealed class ClientCall<TRequest, TResponse>
    : IClientCall, IAsyncStreamReader<TResponse>, IClientStreamWriter<TRequest>, ISingleResponseReader<TResponse>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class
{
    private static readonly TimeSpan ServerVerdictWait = TimeSpan.FromSeconds(2);

    private readonly GrpcChannel _channel;
    private readonly string _path;
    private readonly OwningMessageDecoder<TResponse> _decode;
    private readonly CallOptions _options;
    private readonly DateTime _deadline;
    private readonly CancellationTokenSource _cts;
    private readonly CancellationToken _callToken;
    private readonly TaskCompletionSource<Metadata> _responseHeaders = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private GrpcRequestContent? _content;
    private Task<HttpResponseMessage?> _responseTask = Task.FromResult<HttpResponseMessage?>(null);
    private HttpResponseMessage? _response;
    private StreamMessageReader<TResponse>? _responseReader;
    private Status? _status;
    private Metadata _trailers = new();
    private bool _requestCompleted;
    private bool _disposed;
    private TResponse? _current;

    public ClientCall(GrpcChannel channel, string path, OwningMessageDecoder<TResponse> decode, CallOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(decode);
        _channel = channel;
        _path = path;
        _decode = decode;
        _options = options;
        _deadline = options.Deadline is { } deadline ? deadline.ToUniversalTime() : DateTime.MaxValue;
        _cts = options.CancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken)
            : new CancellationTokenSource();
        _callToken = _cts.Token;
        _callToken.UnsafeRegister(static state => ((ClientCall<TRequest, TResponse>)state!).OnCallTokenCancelled(), this);
    }

    public TResponse Current => _current ?? throw new InvalidOperationException("MoveNext has not returned true yet.");

    public Task<Metadata> ResponseHeadersAsync => _responseHeaders.Task;

    /// <summary>Sends the request headers (and, for unary and server streaming, the one request message).</summary>
    public void Start(TRequest? singleRequest)
    {
        if (singleRequest is not null)
        {
            int size = singleRequest.CalculateSize();
            if (size > _channel.Options.MaxSendMessageSize)
            {
                FailBeforeStart(new Status(StatusCode.ResourceExhausted,
                    $"Sending request message of {size} bytes exceeds the maximum of {_channel.Options.MaxSendMessageSize} bytes."));
                return;
            }
        }
        if (_deadline != DateTime.MaxValue)
        {
            TimeSpan remaining = _deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                FailBeforeStart(CallStatus.DeadlineExceeded);
                return;
            }
            // CancelAfter takes at most ~49 days; a deadline beyond that is as good as none locally.
            if (remaining < TimeSpan.FromDays(40)) _cts.CancelAfter(remaining);
        }

        _content = new GrpcRequestContent(singleRequest);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_channel.Address, _path))
        {
            Version = new Version(2, 0),
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = _content,
        };
        HttpRequestHeaders headers = request.Headers;
        headers.TryAddWithoutValidation(GrpcProtocol.TeHeader, "trailers");
        headers.TryAddWithoutValidation("user-agent", GrpcProtocol.UserAgent);
        if (_deadline != DateTime.MaxValue)
        {
            headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(_deadline - DateTime.UtcNow));
        }
        if (_options.Headers is { } metadata)
        {
            foreach (Metadata.Entry entry in metadata) headers.TryAddWithoutValidation(entry.Key, entry.WireValue);
        }
        _responseTask = ReceiveResponseHeadersAsync(request);
    }

    // ---- responses ----

    public Task<bool> MoveNext(CancellationToken cancellationToken = default) => MoveNextCore(cancellationToken);

    public async Task<TResponse> ReadSingleResponseAsync()
    {
        if (!await MoveNextCore(CancellationToken.None).ConfigureAwait(false))
        {
            throw Fail(new Status(StatusCode.Internal, "The server ended the call with OK but sent no response message."));
        }
        TResponse response = Current;
        if (await MoveNextCore(CancellationToken.None).ConfigureAwait(false))
        {
            throw Fail(new Status(StatusCode.Internal, "The server sent more than one response message for a single-response method."));
        }
        return response;
    }

    private async Task<bool> MoveNextCore(CancellationToken cancellationToken)
    {
        if (_status is { } finished) return ReturnFinished(finished);
        HttpResponseMessage? response = await _responseTask.ConfigureAwait(false);
        if (response is null || _status is not null) return ReturnFinished(_status!.Value);

        using CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((ClientCall<TRequest, TResponse>)state!).CancelByCaller(), this)
            : default;
        try
        {
            if (_responseReader is null)
            {
                Stream body = await response.Content.ReadAsStreamAsync(_callToken).ConfigureAwait(false);
                _responseReader = new StreamMessageReader<TResponse>(
                    (destination, minimum, token) => body.ReadAtLeastAsync(destination, minimum, throwOnEndOfStream: false, token), _decode, _channel.Options.MaxReceiveMessageSize, "response");
            }
            TResponse? message = await _responseReader.ReadAsync(_callToken).ConfigureAwait(false);
            if (message is not null)
            {
                _current = message;
                return true;
            }
        }
        catch (RpcException exception)
        {
            throw Fail(exception.Status);
        }
        catch (Exception exception)
        {
            throw Fail(StatusForException(exception), exception);
        }

        Metadata trailers = ReadMetadata(response.TrailingHeaders);
        Status status = ReadStatus(response.TrailingHeaders)
            ?? new Status(StatusCode.Internal, "The server ended the response without a grpc-status trailer.");
        Finish(status, trailers);
        return ReturnFinished(_status!.Value);
    }

    private bool ReturnFinished(Status status) =>
        status.StatusCode == StatusCode.OK ? false : throw new RpcException(status, _trailers);

    private async Task<HttpResponseMessage?> ReceiveResponseHeadersAsync(HttpRequestMessage request)
    {
        HttpResponseMessage response;
        try
        {
            response = await _channel.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _callToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Finish(StatusForException(exception), new Metadata());
            FailResponseHeaders();
            return null;
        }
        // The request is not disposed here: that would dispose its content, which a streaming call is still writing.

        lock (_gate)
        {
            _response = response;
            if (_status is { StatusCode: not StatusCode.OK })
            {
                // Cancelled while the headers were on their way: the stream still has to be reset.
                response.Dispose();
                FailResponseHeaders();
                return null;
            }
        }

        Metadata headers = ReadMetadata(response.Headers);
        _responseHeaders.TrySetResult(headers);
        Status? headerStatus = ReadStatus(response.Headers);
        int httpStatus = (int)response.StatusCode;
        if (httpStatus != 200)
        {
            // A proxy or a non-gRPC server answered: synthesize the status the spec's mapping gives.
            Finish(headerStatus ?? new Status(HttpStatusMapping.FromHttpStatus(httpStatus),
                $"Bad gRPC response: HTTP status {httpStatus} {response.ReasonPhrase}."), headers);
            return null;
        }
        if (headerStatus is { } trailersOnly)
        {
            // Trailers-Only: the status came in the only HEADERS frame; there is no body.
            Finish(trailersOnly, headers);
            return null;
        }
        string? contentType = response.Content.Headers.NonValidated.TryGetValues("content-type", out HeaderStringValues values)
            ? values.ToString() : null;
        if (!GrpcProtocol.IsGrpcContentType(contentType))
        {
            Finish(new Status(StatusCode.Unknown, $"Bad gRPC response: content-type '{contentType}' is not application/grpc."), headers);
            return null;
        }
        return response;
    }

    private void FailResponseHeaders()
    {
        if (_responseHeaders.TrySetException(new RpcException(_status!.Value, _trailers)))
        {
            // Callers often never look at the headers of a failed call; do not leave an unobserved exception.
            _ = _responseHeaders.Task.Exception;
        }
    }

    // ---- requests ----

    public async Task WriteAsync(TRequest message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_requestCompleted) throw new InvalidOperationException("The request stream has already been completed.");
        ThrowIfFinishedForWrite();
        GrpcRequestContent content = _content!;
        using CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((ClientCall<TRequest, TResponse>)state!).CancelByCaller(), this)
            : default;
        try
        {
            Stream stream = await content.RequestStream.WaitAsync(_callToken).ConfigureAwait(false);
            await LengthPrefixedMessage.WriteAsync(stream, message, _channel.Options.MaxSendMessageSize, "request", _callToken).ConfigureAwait(false);
        }
        catch (RpcException exception)
        {
            throw Fail(exception.Status);
        }
        catch (Exception exception)
        {
            await AwaitServerVerdictAsync().ConfigureAwait(false);
            ThrowIfFinishedForWrite();
            throw Fail(StatusForException(exception), exception);
        }
    }

    public Task CompleteAsync()
    {
        // Every write went to the request stream whole; completing the content sends END_STREAM.
        if (_requestCompleted) return Task.CompletedTask;
        _requestCompleted = true;
        if (_status is null) _content?.Complete();
        return Task.CompletedTask;
    }

    /// <summary>
    /// After a failed write: a server that refuses a call (Trailers-Only, e.g. UNAUTHENTICATED) resets the
    /// request stream, and the write can fail before the response headers with the real status are read. The
    /// server's status is the call's status, so wait briefly for the headers before blaming the transport.
    /// </summary>
    private async Task AwaitServerVerdictAsync()
    {
        try
        {
            await _responseTask.WaitAsync(ServerVerdictWait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // No answer in time: the transport error stands.
        }
    }

    private void ThrowIfFinishedForWrite()
    {
        if (_status is not { } status) return;
        if (status.StatusCode == StatusCode.OK) throw new InvalidOperationException("The call has already finished.");
        throw new RpcException(status, _trailers);
    }

    // ---- the end of the call ----

    public Status GetStatus() => _status ?? throw new InvalidOperationException("The call has not finished yet.");

    public Metadata GetTrailers() =>
        _status is null ? throw new InvalidOperationException("The call has not finished yet.") : _trailers;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Finish(new Status(StatusCode.Cancelled, "The call was disposed before it finished."), new Metadata());
        lock (_gate) _response?.Dispose();
        _cts.Dispose();
    }

    private void CancelByCaller() => Finish(CallStatus.CancelledByClient, new Metadata());

    // The linked caller token, or our own deadline timer, fired.
    private void OnCallTokenCancelled() => Finish(CallStatus.ForCallToken(_options), new Metadata());

    private void FailBeforeStart(Status status)
    {
        Finish(status, new Metadata());
        FailResponseHeaders();
    }

    private RpcException Fail(Status status, Exception? cause = null)
    {
        Finish(status, new Metadata());
        Status final = _status!.Value;
        return cause is null ? new RpcException(final, _trailers) : new RpcException(final, _trailers, cause);
    }

    /// <summary>Sets the final status if none is set yet; a failure also tears down the HTTP/2 stream.</summary>
    private void Finish(Status status, Metadata trailers)
    {
        HttpResponseMessage? responseToAbort;
        lock (_gate)
        {
            if (_status is not null) return;
            _status = status;
            _trailers = trailers;
            responseToAbort = status.StatusCode == StatusCode.OK ? null : _response;
        }
        if (status.StatusCode == StatusCode.OK)
        {
            _content?.Complete();
            return;
        }
        // Disposing an unfinished response makes SocketsHttpHandler send RST_STREAM(CANCEL): the server's
        // RequestAborted fires. Aborting the content releases a request body that is waiting for writes.
        _content?.Abort();
        responseToAbort?.Dispose();
        FailResponseHeadersIfPending();
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed already: nothing left to cancel.
        }
    }

    private void FailResponseHeadersIfPending()
    {
        if (!_responseHeaders.Task.IsCompleted) FailResponseHeaders();
    }

    private Status StatusForException(Exception exception)
    {
        if (_status is { } already) return already;
        return _callToken.IsCancellationRequested ? CallStatus.ForCallToken(_options) : CallStatus.ForException(exception, _channel.Address);
    }

    // ---- headers ----

    private static Status? ReadStatus(HttpHeaders headers) => CallStatus.FromHeaders(
        headers.NonValidated.TryGetValues(GrpcProtocol.StatusHeader, out HeaderStringValues status) ? status.ToString() : null,
        headers.NonValidated.TryGetValues(GrpcProtocol.MessageHeader, out HeaderStringValues message) ? message.ToString() : null);

    private static Metadata ReadMetadata(HttpHeaders headers)
    {
        var metadata = new Metadata();
        foreach (KeyValuePair<string, HeaderStringValues> header in headers.NonValidated)
        {
            foreach (string value in header.Value) CallStatus.AddMetadata(metadata, header.Key, value);
        }
        return metadata;
    }
}
