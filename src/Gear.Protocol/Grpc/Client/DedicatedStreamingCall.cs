using System.Buffers;
using Gear.Protocol.Grpc.Http2;
using Google.Protobuf;

namespace Gear.Protocol.Grpc;

/// <summary>
/// A server-streaming or duplex call on an HTTP/2 connection of its own (<see cref="SingleCallConnection"/>).
/// These are the bulk paths: each of a learner's batches is received from the socket straight into the pooled
/// array it is decoded from, and an actor's appends go to the socket from the buffers they hold, in frames as
/// large as the server allows. Unary and client-streaming calls share the channel's pooled connections
/// instead (<see cref="ClientCall{TRequest, TResponse}"/>).
/// </summary>
internal sealed class DedicatedStreamingCall<TRequest, TResponse> : ClientCallBase<TResponse>, IClientStreamWriter<TRequest>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class
{
    private Task<SingleCallConnection?> _connecting = Task.FromResult<SingleCallConnection?>(null);
    private Task<bool> _opening = Task.FromResult(false);
    private SingleCallConnection? _connection;
    private StreamMessageReader<TResponse>? _reader;
    private int _writing;
    private bool _requestCompleted;

    public DedicatedStreamingCall(GrpcChannel channel, string path, OwningMessageDecoder<TResponse> decode, CallOptions options)
        : base(channel, path, decode, options)
    {
    }

    /// <summary>
    /// Connects and sends the headers and <paramref name="singleRequest"/>, which is the whole request (server
    /// streaming); null leaves the request open for <see cref="WriteAsync"/> (duplex). The response headers and
    /// messages follow in the background.
    /// </summary>
    public void Start(TRequest? singleRequest)
    {
        if (!TryBegin(singleRequest)) return;
        ReadOnlyMemory<byte>? body = null;
        if (singleRequest is not null)
        {
            var framed = new ArrayBufferWriter<byte>(LengthPrefixedMessage.HeaderSize + singleRequest.CalculateSize());
            LengthPrefixedMessage.Write(framed, singleRequest, int.MaxValue, "request");
            body = framed.WrittenMemory;
        }
        _connecting = ConnectAsync(EncodeRequestHeaders(), body);
        _opening = ReceiveResponseHeadersAsync();
    }

    private ReadOnlyMemory<byte> EncodeRequestHeaders()
    {
        Uri address = Channel.Address;
        var block = new ArrayBufferWriter<byte>(256);
        HpackEncoder.WriteIndexed(block, HpackStaticTable.MethodPost);
        HpackEncoder.WriteIndexed(block, address.Scheme == Uri.UriSchemeHttps ? HpackStaticTable.SchemeHttps : HpackStaticTable.SchemeHttp);
        HpackEncoder.WriteField(block, ":path", new Uri(address, Path).PathAndQuery);
        HpackEncoder.WriteField(block, ":authority", address.Authority);
        HpackEncoder.WriteField(block, "content-type", GrpcProtocol.ContentType);
        HpackEncoder.WriteField(block, GrpcProtocol.TeHeader, "trailers");
        HpackEncoder.WriteField(block, "user-agent", GrpcProtocol.UserAgent);
        if (Deadline != DateTime.MaxValue)
            HpackEncoder.WriteField(block, GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(Deadline - DateTime.UtcNow));
        if (Options.Headers is { } metadata)
        {
            // Credentials are sent never-indexed, so that no intermediary keeps them in a compression table.
            foreach (Metadata.Entry entry in metadata)
                HpackEncoder.WriteField(block, entry.Key, entry.WireValue, neverIndex: entry.Key == "authorization");
        }
        return block.WrittenMemory;
    }

    /// <summary>The connection with the request on its way; null when the call ended before it was made.</summary>
    private async Task<SingleCallConnection?> ConnectAsync(ReadOnlyMemory<byte> headerBlock, ReadOnlyMemory<byte>? body)
    {
        SingleCallConnection connection;
        try
        {
            connection = await SingleCallConnection.OpenAsync(
                Channel.Address, Channel.Options, Channel.CertificateValidation, headerBlock, body, CallToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Finish(StatusForException(exception), new Metadata());
            return null;
        }
        lock (Gate)
        {
            if (FinalStatus is not null)
            {
                // The call ended while it was connecting.
                connection.Abort(new OperationCanceledException("The call ended while it was connecting."));
                return null;
            }
            _connection = connection;
        }
        return connection;
    }

    /// <summary>True when the response has a body to read; false when the call already has its status.</summary>
    private async Task<bool> ReceiveResponseHeadersAsync()
    {
        if (await _connecting.ConfigureAwait(false) is not { } connection) return false;
        Http2ResponseHead head;
        try
        {
            head = await connection.ResponseHead.ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Finish(StatusForException(exception), new Metadata());
            return false;
        }

        (Status? headerStatus, Metadata headers) = ReadFields(head.Fields, out string? contentType);
        if (!AcceptResponseHeaders(head.Status, reason: null, headers, headerStatus, contentType)) return false;
        _reader = new StreamMessageReader<TResponse>(connection.ReadAsync, Decode, Channel.Options.MaxReceiveMessageSize, "response");
        return true;
    }

    public override async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        if (FinalStatus is { } finished) return ReturnFinished(finished);
        if (!await _opening.ConfigureAwait(false) || FinalStatus is not null) return ReturnFinished(FinalStatus!.Value);
        return await ReadNextAsync(_reader!, cancellationToken).ConfigureAwait(false);
    }

    // ---- requests (duplex) ----

    public async Task WriteAsync(TRequest message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_requestCompleted) throw new InvalidOperationException("The request stream has already been completed.");
        if (Interlocked.Exchange(ref _writing, 1) != 0)
            throw new InvalidOperationException("A previous write is still in progress: write the request messages one at a time.");
        try
        {
            ThrowIfFinishedForWrite();
            using CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
                ? cancellationToken.UnsafeRegister(static state => ((DedicatedStreamingCall<TRequest, TResponse>)state!).CancelByCaller(), this)
                : default;
            // A call without a connection has its status already.
            if (await _connecting.ConfigureAwait(false) is { } connection) await SendAsync(connection, message).ConfigureAwait(false);
            else ThrowIfFinishedForWrite();
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }

    /// <summary>Sends one request message; a failure throws the call's status, the server's where it has one.</summary>
    private async Task SendAsync(SingleCallConnection connection, TRequest message)
    {
        try
        {
            FramedMessage framed = FramedMessage.Create(message, Channel.Options.MaxSendMessageSize, "request");
            try
            {
                await connection.SendMessageAsync(framed, CallToken).ConfigureAwait(false);
            }
            finally
            {
                framed.Return();
            }
        }
        catch (RpcException exception)
        {
            throw Fail(exception.Status);
        }
        catch (Http2StreamEndedException) when (ReadTrailers() is ({ } ended, var trailers))
        {
            // The server has ended the call and its trailers say how; the reader reaches them in its own time (the
            // responses before them stay readable), so the call is not finished from here.
            throw WriteAfterEnd(ended, trailers);
        }
        catch (Exception exception)
        {
            // The connection failed or was torn down under the write (a refusal, a reset, cancellation).
            await AwaitServerVerdictAsync(_opening).ConfigureAwait(false);
            ThrowIfFinishedForWrite();
            throw Fail(StatusForException(exception), exception);
        }
    }

    public async Task CompleteAsync()
    {
        if (_requestCompleted) return;
        // END_STREAM between the frames of a message still being sent would cut that message short.
        if (Interlocked.Exchange(ref _writing, 1) != 0)
            throw new InvalidOperationException("A write is still in progress: complete the request stream after it.");
        try
        {
            _requestCompleted = true;
            if (FinalStatus is not null || await _connecting.ConfigureAwait(false) is not { } connection) return;
            await connection.CompleteRequestAsync(CallToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The call is ending anyway; its reader gets the status.
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }

    protected override (Status? Status, Metadata Trailers) ReadTrailers() => ReadFields(_connection!.Trailers ?? [], out _);

    /// <summary>The status in <c>grpc-status</c>/<c>grpc-message</c>, the rest as metadata, and the content type.</summary>
    private static (Status? Status, Metadata Metadata) ReadFields(List<KeyValuePair<string, string>> fields, out string? contentType)
    {
        var metadata = new Metadata();
        string? statusText = null, messageText = null;
        contentType = null;
        foreach ((string name, string value) in fields)
        {
            switch (name)
            {
                case GrpcProtocol.StatusHeader: statusText = value; break;
                case GrpcProtocol.MessageHeader: messageText = value; break;
                case "content-type": contentType = value; break;
                default: CallStatus.AddMetadata(metadata, name, value); break;
            }
        }
        return (CallStatus.FromHeaders(statusText, messageText), metadata);
    }

    /// <summary>
    /// Closes the connection: gracefully after an OK end; otherwise with RST_STREAM(CANCEL), which the server sees
    /// as the client's reset (a read in progress fails and lets go of its buffer).
    /// </summary>
    protected override void TearDown(bool succeeded)
    {
        SingleCallConnection? connection;
        lock (Gate) connection = _connection;
        if (succeeded) connection?.Dispose();
        else connection?.Abort(new OperationCanceledException(FinalStatus?.Detail));
    }
}
