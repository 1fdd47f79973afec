namespace Gear.Protocol.Grpc;

/// <summary>
/// A message whose wire bytes are mostly buffers the sender already holds (an actor's step columns): it gives
/// them as pieces, short encoded runs (tags, lengths, scalars) between the held buffers, so that a stream
/// transport writes the buffers as they are instead of copying them into one serialized array first. The
/// pieces together are exactly what protobuf writes for the message, so any gRPC peer parses them.
/// </summary>
public interface IGatheredMessage
{
    /// <summary>The most bytes the encoded runs take: the size of the buffer <see cref="TryGather"/> needs.</summary>
    int MaxEncodedBytes { get; }

    /// <summary>The most pieces <see cref="TryGather"/> gives: the length of the span it needs.</summary>
    int MaxPieces { get; }

    /// <summary>
    /// Puts the message's wire bytes, in order, into <paramref name="pieces"/> (at least <see cref="MaxPieces"/>
    /// long) and their number into <paramref name="count"/>: encoded runs written into <paramref name="encoded"/>
    /// (at least <see cref="MaxEncodedBytes"/> long) and slices of the held buffers. Returns false, with a count
    /// of 0, when the message has what the pieces do not cover (fields it does not gather, unknown fields); it
    /// is then serialized whole.
    /// </summary>
    bool TryGather(Memory<byte> encoded, Span<ReadOnlyMemory<byte>> pieces, out int count);
}
