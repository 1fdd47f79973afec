using System.Buffers;

namespace Gear.Tests.Shared;

/// <summary>Bytes as a sequence of several segments, as a pipe holds what the network delivered in pieces.</summary>
internal static class SegmentedBytes
{
    /// <summary><paramref name="bytes"/> in segments of <paramref name="size"/> bytes (the last may be shorter).</summary>
    public static ReadOnlySequence<byte> Of(byte[] bytes, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (bytes.Length == 0) return ReadOnlySequence<byte>.Empty;
        Segment? first = null, last = null;
        for (var at = 0; at < bytes.Length; at += size)
        {
            var next = new Segment(bytes.AsMemory(at, Math.Min(size, bytes.Length - at)), at);
            if (last is null) first = next;
            else last.Link(next);
            last = next;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    /// <summary><paramref name="bytes"/> in two segments, the first of <paramref name="split"/> bytes.</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, int split)
    {
        var first = new Segment(bytes.AsMemory(0, split), 0);
        var last = new Segment(bytes.AsMemory(split), split);
        first.Link(last);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void Link(Segment next) => Next = next;
    }
}
