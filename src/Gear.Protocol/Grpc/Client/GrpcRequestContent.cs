using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace Gear.Protocol.Grpc;

/// <summary>
/// The request body of a call. With one message (unary, server streaming) it writes that message and ends.
/// Streaming, it hands the HTTP/2 request stream to the call and keeps the request open until the call
/// completes or aborts it: that is what makes the request half of a duplex call on HttpClient.
/// </summary>
internal sealed class GrpcRequestContent : HttpContent
{
    private static readonly MediaTypeHeaderValue GrpcMediaType = new(GrpcProtocol.ContentType);

    private readonly IMessage? _singleMessage;
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates the body of a call; <paramref name="singleMessage"/> null means a streamed request.</summary>
    public GrpcRequestContent(IMessage? singleMessage)
    {
        _singleMessage = singleMessage;
        Headers.ContentType = GrpcMediaType;
    }

    /// <summary>The request stream, once HttpClient starts sending the body.</summary>
    public Task<Stream> RequestStream => _stream.Task;

    /// <summary>Ends the request: HttpClient sends END_STREAM.</summary>
    public void Complete() => _completed.TrySetResult();

    /// <summary>Abandons the request (the call failed or was cancelled).</summary>
    public void Abort()
    {
        _stream.TrySetCanceled();
        _completed.TrySetCanceled();
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (_singleMessage is not null)
        {
            // The size limit was checked before the call started.
            await LengthPrefixedMessage.WriteAsync(stream, _singleMessage, int.MaxValue, "request", cancellationToken).ConfigureAwait(false);
            return;
        }
        _stream.TrySetResult(stream);
        await _completed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        // No content-length: gRPC bodies are streams, and HTTP/2 ends them with END_STREAM.
        length = -1;
        return false;
    }
}
