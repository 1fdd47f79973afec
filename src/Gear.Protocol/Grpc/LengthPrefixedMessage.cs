using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Google.Protobuf;

namespace Gear.Protocol.Grpc;

/// <summary>
/// The gRPC message framing: a 1-byte compressed flag, a 4-byte big-endian length, then the message. We
/// negotiate no compression, so the flag is always 0 on what we send and must be 0 on what we receive.
/// </summary>
public static class LengthPrefixedMessage
{
    /// <summary>The size of the prefix: flag and length.</summary>
    public const int HeaderSize = 5;

    /// <summary>
    /// Writes <paramref name="message"/> framed into <paramref name="output"/>. Serializes straight into the
    /// writer's buffers (no intermediate array). Throws RESOURCE_EXHAUSTED before writing anything when the
    /// message is larger than <paramref name="maxSize"/>.
    /// </summary>
    /// <param name="output">Where the frame goes (a pipe writer, a pooled buffer writer).</param>
    /// <param name="message">The message.</param>
    /// <param name="maxSize">The largest message allowed, in bytes.</param>
    /// <param name="what">"request" or "response", for the error text.</param>
    /// <returns>The message size in bytes, without the prefix.</returns>
    public static int Write(IBufferWriter<byte> output, IMessage message, int maxSize, string what)
    {
        int size = message.CalculateSize();
        WritePrefix(output, size, maxSize, what);
        if (size > 0) message.WriteTo(output);
        return size;
    }

    /// <summary>
    /// Writes <paramref name="message"/>, which encodes itself, framed into <paramref name="output"/>; the same
    /// limit as for a protobuf message applies.
    /// </summary>
    /// <returns>The message size in bytes, without the prefix.</returns>
    public static int Write(IBufferWriter<byte> output, IEncodedMessage message, int maxSize, string what)
    {
        int size = message.Size;
        WritePrefix(output, size, maxSize, what);
        if (size > 0) message.WriteTo(output);
        return size;
    }

    /// <summary>
    /// Writes <paramref name="message"/> framed to <paramref name="output"/>, then flushes: serialized into a pooled
    /// array first, so that a multi-megabyte message reaches an HTTP/2 request stream as one write rather than as
    /// many small ones (each of which the HTTP/2 client frames and sends by itself). A message that gathers
    /// (<see cref="IGatheredMessage"/>) goes as its few pieces instead, its large buffers not copied here.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))] // no state-machine box per message
    public static async ValueTask WriteAsync(Stream output, IMessage message, int maxSize, string what, CancellationToken cancellationToken)
    {
        FramedMessage framed = FramedMessage.Create(message, maxSize, what);
        try
        {
            for (var i = 0; i < framed.Count; i++)
                await output.WriteAsync(framed.Pieces.Span[i], cancellationToken).ConfigureAwait(false);
            // HttpClient's HTTP/2 request stream holds written bytes back until flushed.
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            framed.Return();
        }
    }

    private static void WritePrefix(IBufferWriter<byte> output, int size, int maxSize, string what)
    {
        CheckSize(size, maxSize, what);
        Span<byte> header = output.GetSpan(HeaderSize);
        WriteHeader(header, size);
        output.Advance(HeaderSize);
    }

    /// <summary>RESOURCE_EXHAUSTED for a message to send that is over the limit.</summary>
    internal static void CheckSize(long size, int maxSize, string what)
    {
        if (size > maxSize)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted,
                $"Sending {what} message of {size} bytes exceeds the maximum of {maxSize} bytes."));
        }
    }

    /// <summary>Writes the 5-byte prefix of an uncompressed message of <paramref name="length"/> bytes.</summary>
    public static void WriteHeader(Span<byte> destination, int length)
    {
        destination[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(1, 4), (uint)length);
    }

    /// <summary>
    /// Takes one whole message off the front of <paramref name="buffer"/>. False when the buffer holds only part
    /// of one (read more and call again). Decides on the prefix alone, so an oversize message is refused with
    /// RESOURCE_EXHAUSTED before its body is read.
    /// </summary>
    /// <param name="buffer">The received bytes; on success, what follows the message.</param>
    /// <param name="maxSize">The largest message allowed, in bytes.</param>
    /// <param name="what">"request" or "response", for the error text.</param>
    /// <param name="message">The message bytes, without the prefix.</param>
    /// <exception cref="RpcException">A compressed flag we did not negotiate, or a message over the limit.</exception>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxSize, string what, out ReadOnlySequence<byte> message)
    {
        message = default;
        if (buffer.Length < HeaderSize) return false;

        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        int length = ReadHeader(header, maxSize, what);
        if (buffer.Length - HeaderSize < length) return false;

        message = buffer.Slice(HeaderSize, length);
        buffer = buffer.Slice(message.End);
        return true;
    }

    /// <summary>
    /// The message length a received 5-byte prefix announces. Refuses, from the prefix alone, a compressed flag
    /// we did not negotiate (INTERNAL) and a message over <paramref name="maxSize"/> (RESOURCE_EXHAUSTED).
    /// </summary>
    public static int ReadHeader(ReadOnlySpan<byte> header, int maxSize, string what)
    {
        byte flag = header[0];
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header.Slice(1, 4));
        if (flag == 1)
        {
            throw new RpcException(new Status(StatusCode.Internal,
                $"Received a compressed {what} message, but no grpc-encoding was negotiated (only identity is supported)."));
        }
        if (flag != 0)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"Received a {what} message with invalid compressed flag {flag}."));
        }
        if (length > (uint)maxSize)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted,
                $"Received {what} message of {length} bytes exceeds the maximum of {maxSize} bytes."));
        }
        return (int)length;
    }

    /// <summary>The INTERNAL error for a stream that ends inside a message.</summary>
    public static RpcException Truncated(string what, long received) =>
        new(new Status(StatusCode.Internal,
            $"The {what} stream ended in the middle of a message ({received} bytes of an incomplete message received)."));

    /// <summary>The INTERNAL error for bytes that do not parse as the expected message.</summary>
    public static RpcException ParseFailure(string what, Exception exception) =>
        new(new Status(StatusCode.Internal, $"Failed to parse {what} message: {exception.Message}"), null, exception);

    /// <summary>Parses message bytes, turning a protobuf failure into INTERNAL (the grpc convention).</summary>
    public static T Parse<T>(MessageParser<T> parser, in ReadOnlySequence<byte> bytes, string what)
        where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException exception)
        {
            throw ParseFailure(what, exception);
        }
    }
}
