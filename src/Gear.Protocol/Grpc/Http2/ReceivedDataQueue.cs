using System.Buffers;

namespace Gear.Protocol.Grpc.Http2;

/// <summary>
/// DATA bytes that arrived while no read was waiting for them, in pooled chunks, first in first out. The
/// connection's read loop appends at the tail (it reserves space, receives into it outside any lock, then
/// commits); the reader takes from the head. Callers serialise <see cref="Reserve"/>, <see cref="Commit"/>,
/// <see cref="Take"/> and <see cref="Clear"/> with one lock; only the bytes between Reserve and Commit are
/// written without it, and no one else touches them. The flow-control window bounds what it holds.
/// </summary>
internal sealed class ReceivedDataQueue
{
    private const int ChunkSize = 64 * 1024;

    private readonly Queue<Chunk> _chunks = new();
    private Chunk? _tail;

    /// <summary>Room for up to <paramref name="wanted"/> bytes at the tail (fewer at a chunk's end).</summary>
    public Memory<byte> Reserve(int wanted)
    {
        if (_tail is null || _tail.End == _tail.Array.Length)
        {
            _tail = new Chunk(ArrayPool<byte>.Shared.Rent(ChunkSize));
            _chunks.Enqueue(_tail);
        }
        return _tail.Array.AsMemory(_tail.End, Math.Min(wanted, _tail.Array.Length - _tail.End));
    }

    /// <summary>Makes <paramref name="length"/> bytes received into the last reservation readable.</summary>
    public void Commit(int length)
    {
        _tail!.End += length;
    }

    /// <summary>Moves up to <paramref name="destination"/>'s length of bytes out; returns how many.</summary>
    public int Take(Span<byte> destination)
    {
        var taken = 0;
        while (taken < destination.Length && _chunks.TryPeek(out Chunk? head))
        {
            int length = Math.Min(head.End - head.Start, destination.Length - taken);
            head.Array.AsSpan(head.Start, length).CopyTo(destination[taken..]);
            head.Start += length;
            taken += length;
            if (head.Start < head.End) break;
            if (head == _tail)
            {
                // The tail may still be receiving into its free space: keep it, emptied.
                if (head.End < head.Array.Length) break;
                _tail = null;
            }
            ArrayPool<byte>.Shared.Return(_chunks.Dequeue().Array);
        }
        return taken;
    }

    /// <summary>Returns every chunk to the pool (the stream is over; a reservation in progress must not exist).</summary>
    public void Clear()
    {
        while (_chunks.TryDequeue(out Chunk? chunk)) ArrayPool<byte>.Shared.Return(chunk.Array);
        _tail = null;
    }

    private sealed class Chunk(byte[] array)
    {
        public byte[] Array { get; } = array;
        public int Start { get; set; }
        public int End { get; set; }
    }
}
