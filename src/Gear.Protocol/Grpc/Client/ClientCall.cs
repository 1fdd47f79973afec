using System.Net.Http;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace Gear.Protocol.Grpc;

/// <summary>
/// One unary, client-streaming or duplex call on the client: the HTTP/2 request on the channel's HttpClient and
/// its response (what all calls share is in <see cref="ClientCallBase{TResponse}"/>).
/// </summary>
internal sealed class ClientCall<TRequest, TResponse>
    : ClientCallBase<TResponse>, IClientStreamWriter<TRequest>, ISingleResponseReader<TResponse>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class
{
    private GrpcRequestContent? _content;
    private Task<HttpResponseMessage?> _responseTask = Task.FromResult<HttpResponseMessage?>(null);
    private HttpResponseMessage? _response;
    private StreamMessageReader<TResponse>? _responseReader;
    private bool _requestCompleted;

    public ClientCall(GrpcChannel channel, string path, OwningMessageDecoder<TResponse> decode, CallOptions options)
        : base(channel, path, decode, options)
    {
    }

    /// <summary>Sends the request headers (and, for unary and server streaming, the one request message).</summary>
    public void Start(TRequest? singleRequest)
    {
        if (!TryBegin(singleRequest)) return;
        _content = new GrpcRequestContent(singleRequest);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Channel.Address, Path))
        {
            Version = new Version(2, 0),
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = _content,
        };
        HttpRequestHeaders headers = request.Headers;
        headers.TryAddWithoutValidation(GrpcProtocol.TeHeader, "trailers");
        headers.TryAddWithoutValidation("user-agent", GrpcProtocol.UserAgent);
        if (Deadline != DateTime.MaxValue)
        {
            headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(Deadline - DateTime.UtcNow));
        }
        if (Options.Headers is { } metadata)
        {
            foreach (Metadata.Entry entry in metadata) headers.TryAddWithoutValidation(entry.Key, entry.WireValue);
        }
        _responseTask = ReceiveResponseHeadersAsync(request);
    }

    // ---- responses ----

    public override async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        if (FinalStatus is { } finished) return ReturnFinished(finished);
        HttpResponseMessage? response = await _responseTask.ConfigureAwait(false);
        if (response is null || FinalStatus is not null) return ReturnFinished(FinalStatus!.Value);
        if (_responseReader is null)
        {
            Stream body;
            try
            {
                body = await response.Content.ReadAsStreamAsync(CallToken).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                throw Fail(StatusForException(exception), exception);
            }
            _responseReader = new StreamMessageReader<TResponse>(
                (destination, minimum, token) => body.ReadAtLeastAsync(destination, minimum, throwOnEndOfStream: false, token),
                Decode, Channel.Options.MaxReceiveMessageSize, "response");
        }
        return await ReadNextAsync(_responseReader, cancellationToken).ConfigureAwait(false);
    }

    public async Task<TResponse> ReadSingleResponseAsync()
    {
        if (!await MoveNext(CancellationToken.None).ConfigureAwait(false))
        {
            throw Fail(new Status(StatusCode.Internal, "The server ended the call with OK but sent no response message."));
        }
        TResponse response = Current;
        if (await MoveNext(CancellationToken.None).ConfigureAwait(false))
        {
            throw Fail(new Status(StatusCode.Internal, "The server sent more than one response message for a single-response method."));
        }
        return response;
    }

    private async Task<HttpResponseMessage?> ReceiveResponseHeadersAsync(HttpRequestMessage request)
    {
        HttpResponseMessage response;
        try
        {
            response = await Channel.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, CallToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Finish(StatusForException(exception), new Metadata());
            return null;
        }
        // The request is not disposed here: that would dispose its content, which a streaming call is still writing.

        lock (Gate)
        {
            _response = response;
            if (FinalStatus is { StatusCode: not StatusCode.OK })
            {
                // Cancelled while the headers were on their way: the stream still has to be reset.
                response.Dispose();
                return null;
            }
        }

        string? contentType = response.Content.Headers.NonValidated.TryGetValues("content-type", out HeaderStringValues values)
            ? values.ToString() : null;
        bool bodyFollows = AcceptResponseHeaders((int)response.StatusCode, response.ReasonPhrase,
            ReadMetadata(response.Headers), ReadStatus(response.Headers), contentType);
        return bodyFollows ? response : null;
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
            Stream stream = await content.RequestStream.WaitAsync(CallToken).ConfigureAwait(false);
            await LengthPrefixedMessage.WriteAsync(stream, message, Channel.Options.MaxSendMessageSize, "request", CallToken).ConfigureAwait(false);
        }
        catch (RpcException exception)
        {
            throw Fail(exception.Status);
        }
        catch (Exception exception)
        {
            await AwaitServerVerdictAsync(_responseTask).ConfigureAwait(false);
            ThrowIfFinishedForWrite();
            throw Fail(StatusForException(exception), exception);
        }
    }

    public Task CompleteAsync()
    {
        // Every write went to the request stream whole; completing the content sends END_STREAM.
        if (_requestCompleted) return Task.CompletedTask;
        _requestCompleted = true;
        if (FinalStatus is null) _content?.Complete();
        return Task.CompletedTask;
    }

    // ---- the end of the call ----

    protected override (Status? Status, Metadata Trailers) ReadTrailers() =>
        (ReadStatus(_response!.TrailingHeaders), ReadMetadata(_response.TrailingHeaders));

    protected override void TearDown(bool succeeded)
    {
        if (succeeded)
        {
            _content?.Complete();
            return;
        }
        // Disposing an unfinished response makes SocketsHttpHandler send RST_STREAM(CANCEL): the server's
        // RequestAborted fires. Aborting the content releases a request body that is waiting for writes.
        _content?.Abort();
        HttpResponseMessage? response;
        lock (Gate) response = _response;
        response?.Dispose();
    }

    protected override void OnDisposed()
    {
        lock (Gate) _response?.Dispose();
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
