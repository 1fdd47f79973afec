using System.Buffers;
using Gear.Protocol.Grpc.Http2;
using Google.Protobuf;

namespace Gear.Protocol.Grpc;

/// <summary>
/// A server-streaming call on an HTTP/2 connection of its own (<see cref="SingleCallConnection"/>), so that
/// each response is received from the socket straight into the pooled array it is decoded from. Server
/// streams are the bulk path (a learner's batches); unary and client-side streaming calls share the channel's
/// pooled connections instead (<see cref="ClientCall{TRequest, TResponse}"/>).
/// </summary>
internal sealed class DedicatedStreamingCall<TResponse> : ClientCallBase<TResponse>
    where TResponse : class
{
    private Task<bool> _opening = Task.FromResult(false);
    private SingleCallConnection? _connection;
    private StreamMessageReader<TResponse>? _reader;

    public DedicatedStreamingCall(GrpcChannel channel, string path, OwningMessageDecoder<TResponse> decode, CallOptions options)
        : base(channel, path, decode, options)
    {
    }

    /// <summary>Connects and sends the request; the response headers and messages follow in the background.</summary>
    public void Start(IMessage request)
    {
        if (!TryBegin(request)) return;
        var body = new ArrayBufferWriter<byte>(LengthPrefixedMessage.HeaderSize + request.CalculateSize());
        LengthPrefixedMessage.Write(body, request, int.MaxValue, "request");
        _opening = OpenAsync(EncodeRequestHeaders(), body.WrittenMemory);
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

    /// <summary>True when the response has a body to read; false when the call already has its status.</summary>
    private async Task<bool> OpenAsync(ReadOnlyMemory<byte> headerBlock, ReadOnlyMemory<byte> body)
    {
        SingleCallConnection connection;
        Http2ResponseHead head;
        try
        {
            connection = await SingleCallConnection.OpenAsync(
                Channel.Address, Channel.Options, Channel.CertificateValidation, headerBlock, body, CallToken).ConfigureAwait(false);
            lock (Gate)
            {
                if (FinalStatus is not null)
                {
                    // The call ended while it was connecting.
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
