using System.Buffers;
using Gear.Protocol.Grpc.Http2;
using Google.Protobuf;

namespace Gear.Protocol.Grpc;

/// <summary>
/// A server-streaming call on an HTTP/2 connection of its own (<see cref="SingleCallConnection"/>), so that
/// each response is received from the socket straight into the pooled array it is decoded from. Server
/// streams are the bulk path (a learner's batches); unary and client-side streaming calls share the channel's
/// pooled connections instead. The call's single final status is set by whatever ends it first, as in
/// <see cref="ClientCall{TRequest, TResponse}"/>.
/// </summary>
internal sealed class DedicatedStreamingCall<TResponse> : IClientCall, IAsyncStreamReader<TResponse>
    where TResponse : class
{
    private readonly GrpcChannel _channel;
    private readonly string _path;
    private readonly OwningMessageDecoder<TResponse> _decode;
    private readonly CallOptions _options;
    private readonly DateTime _deadline;
    private readonly CancellationTokenSource _cts;
    private readonly CancellationToken _callToken;
    private readonly TaskCompletionSource<Metadata> _responseHeaders = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private Task<bool> _opening = Task.FromResult(false);
    private SingleCallConnection? _connection;
    private StreamMessageReader<TResponse>? _reader;
    private Status? _status;
    private Metadata _trailers = new();
    private bool _disposed;
    private TResponse? _current;

    public DedicatedStreamingCall(GrpcChannel channel, string path, OwningMessageDecoder<TResponse> decode, CallOptions options)
    {
        _channel = channel;
        _path = path;
        _decode = decode;
        _options = options;
        _deadline = options.Deadline is { } deadline ? deadline.ToUniversalTime() : DateTime.MaxValue;
        _cts = options.CancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken)
            : new CancellationTokenSource();
        _callToken = _cts.Token;
        _callToken.UnsafeRegister(static state => ((DedicatedStreamingCall<TResponse>)state!).OnCallTokenCancelled(), this);
    }

    public TResponse Current => _current ?? throw new InvalidOperationException("MoveNext has not returned true yet.");

    public Task<Metadata> ResponseHeadersAsync => _responseHeaders.Task;

    /// <summary>Connects and sends the request; the response headers and messages follow in the background.</summary>
    public void Start(IMessage request)
    {
        int size = request.CalculateSize();
        if (size > _channel.Options.MaxSendMessageSize)
        {
            FailBeforeStart(new Status(StatusCode.ResourceExhausted,
                $"Sending request message of {size} bytes exceeds the maximum of {_channel.Options.MaxSendMessageSize} bytes."));
            return;
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
        var body = new ArrayBufferWriter<byte>(LengthPrefixedMessage.HeaderSize + size);
        LengthPrefixedMessage.Write(body, request, int.MaxValue, "request");
        _opening = OpenAsync(EncodeRequestHeaders(), body.WrittenMemory);
    }

    private ReadOnlyMemory<byte> EncodeRequestHeaders()
    {
        Uri address = _channel.Address;
        var block = new ArrayBufferWriter<byte>(256);
        HpackEncoder.WriteIndexed(block, HpackStaticTable.MethodPost);
        HpackEncoder.WriteIndexed(block, address.Scheme == Uri.UriSchemeHttps ? HpackStaticTable.SchemeHttps : HpackStaticTable.SchemeHttp);
        HpackEncoder.WriteField(block, ":path", new Uri(address, _path).PathAndQuery);
        HpackEncoder.WriteField(block, ":authority", address.Authority);
        HpackEncoder.WriteField(block, "content-type", GrpcProtocol.ContentType);
        HpackEncoder.WriteField(block, GrpcProtocol.TeHeader, "trailers");
        HpackEncoder.WriteField(block, "user-agent", GrpcProtocol.UserAgent);
        if (_deadline != DateTime.MaxValue)
            HpackEncoder.WriteField(block, GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(_deadline - DateTime.UtcNow));
        if (_options.Headers is { } metadata)
        {
            // Credentials are sent never-indexed, so that no intermediary keeps them in a compression table.
            foreach (Metadata.Entry entry in metadata)
                HpackEncoder.WriteField(block, entry.Key, entry.WireValue, neverIndex: entry.Key == "authorization");
        }
        return block.WrittenMemory;
    }

    /// <summary>True when the response has a body to read; false when the call already has its status.</summary>
    private async Task<bool> OpenAsync(ReadOnlyMemory<byte> headerBlock, ReadOnlyMemory<byte> body)
    {
        SingleCallConnection connection;
        Http2ResponseHead head;
        try
        {
            connection = await SingleCallConnection.OpenAsync(
                _channel.Address, _channel.Options, _channel.CertificateValidation, headerBlock, body, _callToken).ConfigureAwait(false);
            lock (_gate)
            {
                if (_status is not null)
                {
                    // Cancelled while connecting.
                    connection.Abort(new OperationCanceledException("The call ended while it was connecting."));
                    return false;
                }
                _connection = connection;
            }
            head = await connection.ResponseHead.ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Finish(StatusForException(exception), new Metadata());
            return false;
        }

        var headers = new Metadata();
        string? statusText = null, messageText = null, contentType = null;
        foreach ((string name, string value) in head.Fields)
        {
            switch (name)
            {
                case GrpcProtocol.StatusHeader: statusText = value; break;
                case GrpcProtocol.MessageHeader: messageText = value; break;
                case "content-type": contentType = value; break;
                default: CallStatus.AddMetadata(headers, name, value); break;
            }
        }
        _responseHeaders.TrySetResult(headers);
        Status? headerStatus = CallStatus.FromHeaders(statusText, messageText);
        if (head.Status != 200)
        {
            // A proxy or a non-gRPC server answered: synthesize the status the spec's mapping gives.
            Finish(headerStatus ?? new Status(HttpStatusMapping.FromHttpStatus(head.Status), $"Bad gRPC response: HTTP status {head.Status}."), headers);
            return false;
        }
        if (headerStatus is { } trailersOnly)
        {
            Finish(trailersOnly, headers);
            return false;
        }
        if (!GrpcProtocol.IsGrpcContentType(contentType))
        {
            Finish(new Status(StatusCode.Unknown, $"Bad gRPC response: content-type '{contentType}' is not application/grpc."), headers);
            return false;
        }
        _reader = new StreamMessageReader<TResponse>(connection.ReadAsync, _decode, _channel.Options.MaxReceiveMessageSize, "response");
        return true;
    }

    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        if (_status is { } finished) return ReturnFinished(finished);
        if (!await _opening.ConfigureAwait(false) || _status is not null) return ReturnFinished(_status!.Value);

        using CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((DedicatedStreamingCall<TResponse>)state!).Finish(CallStatus.CancelledByClient, new Metadata()), this)
            : default;
        try
        {
            TResponse? message = await _reader!.ReadAsync(_callToken).ConfigureAwait(false);
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

        var trailers = new Metadata();
        string? statusText = null, messageText = null;
        foreach ((string name, string value) in _connection!.Trailers ?? [])
        {
            if (name == GrpcProtocol.StatusHeader) statusText = value;
            else if (name == GrpcProtocol.MessageHeader) messageText = value;
            else CallStatus.AddMetadata(trailers, name, value);
        }
        Finish(CallStatus.FromHeaders(statusText, messageText)
            ?? new Status(StatusCode.Internal, "The server ended the response without a grpc-status trailer."), trailers);
        return ReturnFinished(_status!.Value);
    }

    private bool ReturnFinished(Status status) =>
        status.StatusCode == StatusCode.OK ? false : throw new RpcException(status, _trailers);

    public Status GetStatus() => _status ?? throw new InvalidOperationException("The call has not finished yet.");

    public Metadata GetTrailers() =>
        _status is null ? throw new InvalidOperationException("The call has not finished yet.") : _trailers;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Finish(new Status(StatusCode.Cancelled, "The call was disposed before it finished."), new Metadata());
        _cts.Dispose();
    }

    // The linked caller token, or our own deadline timer, fired.
    private void OnCallTokenCancelled() => Finish(CallStatus.ForCallToken(_options), new Metadata());

    private void FailBeforeStart(Status status) => Finish(status, new Metadata());

    private RpcException Fail(Status status, Exception? cause = null)
    {
        Finish(status, new Metadata());
        Status final = _status!.Value;
        return cause is null ? new RpcException(final, _trailers) : new RpcException(final, _trailers, cause);
    }

    private Status StatusForException(Exception exception)
    {
        if (_status is { } already) return already;
        return _callToken.IsCancellationRequested ? CallStatus.ForCallToken(_options) : CallStatus.ForException(exception, _channel.Address);
    }

    /// <summary>
    /// Sets the final status if none is set yet and closes the connection: gracefully after an OK end; with
    /// RST_STREAM(CANCEL) otherwise, which the server sees as the client's reset.
    /// </summary>
    private void Finish(Status status, Metadata trailers)
    {
        SingleCallConnection? connection;
        lock (_gate)
        {
            if (_status is not null) return;
            _status = status;
            _trailers = trailers;
            connection = _connection;
        }
        if (status.StatusCode == StatusCode.OK)
        {
            connection?.Dispose();
            return;
        }
        connection?.Abort(new OperationCanceledException(status.Detail));
        if (_responseHeaders.TrySetException(new RpcException(status, trailers)))
        {
            // Callers often never look at the headers of a failed call; do not leave an unobserved exception.
            _ = _responseHeaders.Task.Exception;
        }
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed already: nothing left to cancel.
        }
    }
}
