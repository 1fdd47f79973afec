using System.Buffers;
using Google.Protobuf;

namespace Gear.Protocol.Grpc;

/// <summary>
/// Turns the bytes of one received message into a value. The bytes belong to the pipe and are valid only
/// during the call: a decoder that keeps data copies it (into a pooled buffer, say). Throw
/// <see cref="InvalidDataException"/> for bytes that are not a valid message; the call then fails INTERNAL.
/// </summary>
public delegate T MessageDecoder<out T>(in ReadOnlySequence<byte> payload);

/// <summary>Decoders for protobuf messages.</summary>
public static class MessageDecoders
{
    /// <summary>A decoder that parses with <paramref name="parser"/> (a parse failure is INTERNAL, as grpc does).</summary>
    public static MessageDecoder<T> From<T>(MessageParser<T> parser, string what) where T : IMessage<T> =>
        (in ReadOnlySequence<byte> payload) => LengthPrefixedMessage.Parse(parser, payload, what);
}
