using System.Buffers;
using System.Runtime.CompilerServices;

namespace Gear.Protocol.Grpc;

/// <summary>
/// Reads from a response body: fills <paramref name="destination"/> with at least <paramref name="minimum"/>
/// bytes, fewer only at the end of the body.
/// </summary>
internal delegate ValueTask<int> ResponseBodyRead(Memory<byte> destination, int minimum, CancellationToken cancellationToken);

/// <summary>
/// Reads length-prefixed messages from a response body: each message is read straight from the HTTP/2
/// stream into one pooled array of its size and handed to an <see cref="OwningMessageDecoder{T}"/>. A
/// <see cref="System.IO.Pipelines.PipeReader"/> over the stream would copy every byte once more, into its
/// own segments, before the decoder copies it out again.
/// </summary>
/// <typeparam name="T">What a message decodes to.</typeparam>
internal sealed class StreamMessageReader<T> where T : class
{
    private readonly ResponseBodyRead _read;
    private readonly OwningMessageDecoder<T> _decode;
    private readonly int _maxMessageSize;
    private readonly string _what;
    private readonly byte[] _header = new byte[LengthPrefixedMessage.HeaderSize];

    /// <summary>Creates a reader of a body read by <paramref name="read"/>; <paramref name="what"/> ("response") is for error texts.</summary>
    public StreamMessageReader(ResponseBodyRead read, OwningMessageDecoder<T> decode, int maxMessageSize, string what)
    {
        _read = read;
        _decode = decode;
        _maxMessageSize = maxMessageSize;
        _what = what;
    }

    /// <summary>
    /// Reads the next message; null at the clean end of the stream. Throws <see cref="RpcException"/> for
    /// framing errors (INTERNAL, RESOURCE_EXHAUSTED) and for a stream that ends mid-message (INTERNAL).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // no state-machine box per message
    public async ValueTask<T?> ReadAsync(CancellationToken cancellationToken)
    {
        int received = await _read(_header, _header.Length, cancellationToken).ConfigureAwait(false);
        if (received == 0) return null;
        if (received < _header.Length) throw LengthPrefixedMessage.Truncated(_what, received);
        int length = LengthPrefixedMessage.ReadHeader(_header, _maxMessageSize, _what);

        // At least one byte: the pool hands out a shared empty array for zero, which is not ours to give back.
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        try
        {
            received = await _read(buffer.AsMemory(0, length), length, cancellationToken).ConfigureAwait(false);
            if (received < length) throw LengthPrefixedMessage.Truncated(_what, _header.Length + received);
            return _decode(buffer, length);
        }
        catch (Exception exception)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (exception is InvalidDataException) throw LengthPrefixedMessage.ParseFailure(_what, exception);
            throw;
        }
    }
}
