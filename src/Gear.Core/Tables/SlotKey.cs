using System.Numerics;

namespace Gear.Core.Tables;

/// <summary>
/// Keys of items and trajectories: the slot in the low bits, and above them a generation that grows each time
/// the slot is reused. A key leads to its slot without a hash lookup (one cache line instead of a dictionary's
/// two dependent misses, which dominated priority updates on large tables), and a stale key, whose slot now
/// holds something else, is recognised because the slot's record holds the full current key. With at most
/// 2^30 slots, a slot can be reused 2^33 times before its generations run out.
/// </summary>
internal static class SlotKey
{
    /// <summary>Bits that hold a slot of a table with <paramref name="capacity"/> slots.</summary>
    public static int BitsFor(int capacity) => 32 - BitOperations.LeadingZeroCount((uint)capacity);

    /// <summary>The key that follows <paramref name="previous"/> (0 for a slot never used) in <paramref name="slot"/>.</summary>
    public static ulong Next(ulong previous, int slot, int bits) => (((previous >> bits) + 1) << bits) | (uint)slot;

    /// <summary>The slot a key names, if it names one in range (the caller still compares the full key).</summary>
    public static bool TrySlot(ulong key, int bits, int capacity, out int slot)
    {
        slot = (int)(key & ((1UL << bits) - 1));
        return key != 0 && slot < capacity;
    }
}
