using System.Buffers;
using Google.Protobuf;

namespace Gear.Protocol.Grpc;

/// <summary>
/// Turns the bytes of one received message into a value. The bytes belong to the pipe and are valid only
/// during the call: a decoder that keeps data copies it (into a pooled buffer, say). Throw
/// <see cref="InvalidDataException"/> for bytes that are not a valid message; the call then fails INTERNAL.
/// </summary>
public delegate T MessageDecoder<out T>(in ReadOnlySequence<byte> payload);

/// <summary>
/// Turns one received message into a value, taking over <paramref name="buffer"/>: an array rented from
/// <see cref="ArrayPool{T}.Shared"/> whose first <paramref name="length"/> bytes are the message, read into it
/// straight from the transport. A decoder that keeps the bytes (a learner's batch) keeps the array and returns
/// it to the pool when done, so the message costs no copy beyond the read; if the decoder throws, the array
/// stays the reader's. Throw <see cref="InvalidDataException"/> for bytes that are not a valid message.
/// </summary>
public delegate T OwningMessageDecoder<out T>(byte[] buffer, int length);

/// <summary>Decoders for protobuf messages.</summary>
public static class MessageDecoders
{
    /// <summary>A decoder that parses with <paramref name="parser"/> (a parse failure is INTERNAL, as grpc does).</summary>
    public static MessageDecoder<T> From<T>(MessageParser<T> parser, string what) where T : IMessage<T> =>
        (in ReadOnlySequence<byte> payload) => LengthPrefixedMessage.Parse(parser, payload, what);

    /// <summary>An owning decoder that decodes with <paramref name="decode"/> and gives the array back to the pool.</summary>
    public static OwningMessageDecoder<T> Owning<T>(MessageDecoder<T> decode) => (buffer, length) =>
    {
        T message = decode(new ReadOnlySequence<byte>(buffer, 0, length));
        ArrayPool<byte>.Shared.Return(buffer);
        return message;
    };
}
