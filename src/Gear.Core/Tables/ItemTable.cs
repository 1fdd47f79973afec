using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Gear.Core.Storage;

namespace Gear.Core.Tables;

/// <summary>
/// The items of a table, one 32-byte record per item slot in aligned unmanaged memory, so that every record
/// sits in exactly one cache line: a batch touches hundreds of random records in a large table, and a record
/// straddling two lines costs a second miss that prefetching the first does not hide. For trajectory items
/// the slot is the trajectory's slot; for step items it is the step's physical position (page × page steps +
/// offset), so a selected slot leads straight to its data. Keys are <see cref="SlotKey"/>s. Not thread-safe:
/// the table uses it under its lock.
/// </summary>
internal sealed unsafe class ItemTable : IDisposable
{
    private readonly NativeBuffer _buffer;
    private readonly ItemRecord* _records;
    private readonly int _capacity;
    private readonly int _keyBits;

    public ItemTable(int capacity)
    {
        _capacity = capacity;
        _buffer = new NativeBuffer((long)capacity * sizeof(ItemRecord));
        _records = (ItemRecord*)_buffer.Pointer;
        NativeMemory.Clear(_records, (nuint)((long)capacity * sizeof(ItemRecord)));
        _keyBits = SlotKey.BitsFor(capacity);
    }

    /// <summary>Live items.</summary>
    public int Count { get; private set; }

    /// <summary>The record of <paramref name="slot"/>.</summary>
    public ref ItemRecord this[int slot]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            Debug.Assert((uint)slot < (uint)_capacity);
            return ref _records[slot];
        }
    }

    /// <summary>The address of a record, for prefetching.</summary>
    public ItemRecord* AddressOf(int slot) => _records + slot;

    /// <summary>The slot whose live item has <paramref name="key"/>, if any.</summary>
    public bool TryFind(ulong key, out int slot) =>
        SlotKey.TrySlot(key, _keyBits, _capacity, out slot) && _records[slot].Live && _records[slot].Key == key;

    /// <summary>The slot <paramref name="key"/> would name (for prefetching), or -1.</summary>
    public int SlotOf(ulong key) => SlotKey.TrySlot(key, _keyBits, _capacity, out var slot) ? slot : -1;

    /// <summary>The key the next item in <paramref name="slot"/> gets.</summary>
    public ulong NextKey(int slot) => SlotKey.Next(_records[slot].Key, slot, _keyBits);

    public void Add(int slot, ulong key, int trajectory, int step, double priority)
    {
        _records[slot] = new ItemRecord
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
        _records[slot].Live = false;
        Count--;
    }

    public void Dispose() => _buffer.Dispose();
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
