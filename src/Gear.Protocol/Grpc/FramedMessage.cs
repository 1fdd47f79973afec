using System.Buffers;
using System.Runtime.InteropServices;
using Google.Protobuf;

namespace Gear.Protocol.Grpc;

/// <summary>
/// A message framed for sending (the 5-byte prefix, then its protobuf bytes) as a few pieces in pooled arrays:
/// one serialized run, or for a message that gathers (<see cref="IGatheredMessage"/>) its short encoded runs
/// between the buffers it holds, which are not copied. Whoever writes the pieces returns the arrays with
/// <see cref="Return"/>; the struct is copied by value, so exactly one copy may return them.
/// </summary>
internal readonly struct FramedMessage
{
    private readonly byte[] _encoded;
    private readonly ReadOnlyMemory<byte>[] _pieces;
    private readonly int _first;

    private FramedMessage(byte[] encoded, ReadOnlyMemory<byte>[] pieces, int first, int count, long length)
    {
        _encoded = encoded;
        _pieces = pieces;
        _first = first;
        Count = count;
        Length = length;
    }

    /// <summary>How many pieces.</summary>
    public int Count { get; }

    /// <summary>The framed length in bytes: prefix and message.</summary>
    public long Length { get; }

    /// <summary>The pieces, in wire order.</summary>
    public ReadOnlyMemory<ReadOnlyMemory<byte>> Pieces => _pieces.AsMemory(_first, Count);

    /// <summary>
    /// Frames <paramref name="message"/>. Throws RESOURCE_EXHAUSTED, with nothing rented, when the message is
    /// larger than <paramref name="maxSize"/>.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="maxSize">The largest message allowed, in bytes.</param>
    /// <param name="what">"request" or "response", for the error text.</param>
    public static FramedMessage Create(IMessage message, int maxSize, string what)
    {
        if (message is IGatheredMessage gathered && TryGather(gathered, maxSize, what) is { } framed) return framed;
        int size = message.CalculateSize();
        LengthPrefixedMessage.CheckSize(size, maxSize, what);
        int frameSize = LengthPrefixedMessage.HeaderSize + size;
        byte[] encoded = ArrayPool<byte>.Shared.Rent(frameSize);
        LengthPrefixedMessage.WriteHeader(encoded, size);
        message.WriteTo(encoded.AsSpan(LengthPrefixedMessage.HeaderSize, size));
        ReadOnlyMemory<byte>[] pieces = ArrayPool<ReadOnlyMemory<byte>>.Shared.Rent(1);
        pieces[0] = encoded.AsMemory(0, frameSize);
        return new FramedMessage(encoded, pieces, 0, 1, frameSize);
    }

    /// <summary>The gathered form; null, with nothing rented, when the message cannot be gathered.</summary>
    private static FramedMessage? TryGather(IGatheredMessage message, int maxSize, string what)
    {
        const int prefix = LengthPrefixedMessage.HeaderSize;
        byte[] encoded = ArrayPool<byte>.Shared.Rent(prefix + message.MaxEncodedBytes);
        // One more than the message's pieces: room for the prefix as a piece of its own.
        ReadOnlyMemory<byte>[] pieces = ArrayPool<ReadOnlyMemory<byte>>.Shared.Rent(message.MaxPieces + 1);
        var framed = new FramedMessage(encoded, pieces, 0, 0, 0);
        try
        {
            if (!message.TryGather(encoded.AsMemory(prefix), pieces.AsSpan(1), out int count))
            {
                framed.Return();
                return null;
            }
            long size = 0;
            for (var i = 1; i <= count; i++) size += pieces[i].Length;
            LengthPrefixedMessage.CheckSize(size, maxSize, what);
            LengthPrefixedMessage.WriteHeader(encoded, (int)size);
            // The prefix sits just before the first encoded run when that starts the encoded buffer: one piece for
            // both. Otherwise it is a piece of its own, in the slot left free in front.
            if (count > 0 && StartsAt(pieces[1], encoded, prefix))
            {
                pieces[1] = encoded.AsMemory(0, prefix + pieces[1].Length);
                return new FramedMessage(encoded, pieces, 1, count, prefix + size);
            }
            pieces[0] = encoded.AsMemory(0, prefix);
            return new FramedMessage(encoded, pieces, 0, count + 1, prefix + size);
        }
        catch
        {
            framed.Return();
            throw;
        }
    }

    private static bool StartsAt(ReadOnlyMemory<byte> piece, byte[] array, int offset) =>
        MemoryMarshal.TryGetArray(piece, out ArraySegment<byte> segment) && segment.Array == array && segment.Offset == offset;

    /// <summary>Gives the arrays back to the pool (cleared pieces: they hold the sender's buffers, which the pool must not keep alive).</summary>
    public void Return()
    {
        ArrayPool<byte>.Shared.Return(_encoded);
        ArrayPool<ReadOnlyMemory<byte>>.Shared.Return(_pieces, clearArray: true);
    }
}
