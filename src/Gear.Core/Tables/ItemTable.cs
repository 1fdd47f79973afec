using System.Runtime.InteropServices;

namespace Gear.Core.Tables;

/// <summary>
/// The items of a table, one 32-byte record per item slot (one cache line holds everything a sample needs
/// of an item, which matters when a batch touches hundreds of random items). For trajectory items the slot is
/// the trajectory's slot; for step items it is the step's physical position (page × page steps + offset), so
/// a selected slot leads straight to its data. Keys are <see cref="SlotKey"/>s. Not thread-safe: the table
/// uses it under its lock.
/// </summary>
internal sealed class ItemTable
{
    private readonly int _keyBits;

    public ItemTable(int capacity)
    {
        // Pinned so that the addresses the sampler prefetches stay valid.
        Records = GC.AllocateArray<ItemRecord>(capacity, pinned: true);
        _keyBits = SlotKey.BitsFor(capacity);
    }

    /// <summary>Live items.</summary>
    public int Count { get; private set; }

    /// <summary>Records by item slot.</summary>
    public ItemRecord[] Records { get; }

    /// <summary>The slot whose live item has <paramref name="key"/>, if any.</summary>
    public bool TryFind(ulong key, out int slot) =>
        SlotKey.TrySlot(key, _keyBits, Records.Length, out slot) && Records[slot].Live && Records[slot].Key == key;

    /// <summary>The slot <paramref name="key"/> would name (for prefetching), or -1.</summary>
    public int SlotOf(ulong key) => SlotKey.TrySlot(key, _keyBits, Records.Length, out var slot) ? slot : -1;

    /// <summary>The key the next item in <paramref name="slot"/> gets.</summary>
    public ulong NextKey(int slot) => SlotKey.Next(Records[slot].Key, slot, _keyBits);

    public void Add(int slot, ulong key, int trajectory, int step, double priority)
    {
        Records[slot] = new ItemRecord
        {
            Key = key,
            Priority = priority,
            Trajectory = trajectory,
            Step = step,
            TimesSampled = 0,
            Live = true,
        };
        Count++;
    }

    public void Remove(int slot)
    {
        Records[slot].Live = false;
        Count--;
    }
}

/// <summary>What the table knows of one item.</summary>
[StructLayout(LayoutKind.Sequential, Size = 32)]
internal struct ItemRecord
{
    /// <summary>The item's current key (kept after removal, so the slot's next key continues its generations).</summary>
    public ulong Key;
    public double Priority;
    /// <summary>Slot of the trajectory the item belongs to.</summary>
    public int Trajectory;
    /// <summary>The item's step in its trajectory (0 for trajectory items).</summary>
    public int Step;
    public int TimesSampled;
    public bool Live;
}
