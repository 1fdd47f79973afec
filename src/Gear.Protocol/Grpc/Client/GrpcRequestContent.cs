using System.Buffers;
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
            await WriteSingleMessageAsync(stream, _singleMessage, cancellationToken).ConfigureAwait(false);
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

    private static async Task WriteSingleMessageAsync(Stream stream, IMessage message, CancellationToken cancellationToken)
    {
        // The size limit was checked before the call started.
        int size = message.CalculateSize();
        int frameSize = LengthPrefixedMessage.HeaderSize + size;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(frameSize);
        try
        {
            LengthPrefixedMessage.WriteHeader(buffer, size);
            message.WriteTo(buffer.AsSpan(LengthPrefixedMessage.HeaderSize, size));
            await stream.WriteAsync(buffer.AsMemory(0, frameSize), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
