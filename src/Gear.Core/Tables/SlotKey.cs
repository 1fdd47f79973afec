using System.Numerics;

namespace Gear.Core.Tables;

/// <summary>
/// Keys of items and trajectories: the slot in the low bits, and above them the slot's generation, which
/// grows each time the slot is reused. A key leads to its slot without a hash lookup (one cache line instead
/// of a dictionary's two dependent misses, which dominated priority updates on large tables), and a stale
/// key, whose slot now holds something else, is recognised by its generation. A slot can be reused 2^32 − 1
/// times before its generations run out.
/// </summary>
internal static class SlotKey
{
    /// <summary>Bits that hold a slot of a table with <paramref name="capacity"/> slots.</summary>
    public static int BitsFor(int capacity) => 32 - BitOperations.LeadingZeroCount((uint)capacity);

    /// <summary>The key of generation <paramref name="generation"/> of <paramref name="slot"/>.</summary>
    public static ulong Compose(uint generation, int slot, int bits) => ((ulong)generation << bits) | (uint)slot;

    /// <summary>The slot and generation a key names, if the slot is in range (the caller compares the generation).</summary>
    public static bool TryDecompose(ulong key, int bits, int capacity, out int slot, out uint generation)
    {
        slot = (int)(key & ((1UL << bits) - 1));
        var high = key >> bits;
        generation = (uint)high;
        return high is > 0 and <= uint.MaxValue && slot < capacity;
    }
}
