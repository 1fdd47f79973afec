using System.Numerics;

namespace Gear.Core.Selection;

/// <summary>
/// Runs of bits in a bitmap of 64-bit words (bit s of word s / 64 stands for slot s), read and written a word at
/// a time: a page of 256 step items is four word operations instead of 256 bit operations.
/// </summary>
internal static class BitRuns
{
    /// <summary>Whether slot <paramref name="slot"/>'s bit is set.</summary>
    public static bool IsSet(ReadOnlySpan<ulong> words, int slot) => (words[slot >> 6] & (1UL << slot)) != 0;

    /// <summary>The first slot of [first, first + count) whose bit equals <paramref name="set"/>, or -1.</summary>
    public static int Find(ReadOnlySpan<ulong> words, int first, int count, bool set)
    {
        var end = first + count;
        for (var slot = first; slot < end;)
        {
            var (word, bits, mask) = Piece(slot, end);
            var found = (set ? words[word] : ~words[word]) & mask;
            if (found != 0)
                return (word << 6) + BitOperations.TrailingZeroCount(found);
            slot += bits;
        }

        return -1;
    }

    /// <summary>Sets (or clears) the bits of [first, first + count).</summary>
    public static void Fill(Span<ulong> words, int first, int count, bool set)
    {
        var end = first + count;
        for (var slot = first; slot < end;)
        {
            var (word, bits, mask) = Piece(slot, end);
            words[word] = set ? words[word] | mask : words[word] & ~mask;
            slot += bits;
        }
    }

    /// <summary>
    /// The part of [slot, end) that lies in slot's word: the word's index, how many bits, and their mask.
    /// </summary>
    public static (int Word, int Bits, ulong Mask) Piece(int slot, int end)
    {
        var bits = Math.Min(64 - (slot & 63), end - slot);
        var mask = (bits == 64 ? ulong.MaxValue : (1UL << bits) - 1) << (slot & 63);
        return (slot >> 6, bits, mask);
    }
}
