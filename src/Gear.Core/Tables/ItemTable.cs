using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Gear.Core.Storage;

namespace Gear.Core.Tables;

/// <summary>
/// The items of a table, one 16-byte record per item slot in aligned unmanaged memory: four records share a
/// cache line and none straddles two, which matters both when a batch touches hundreds of random records and
/// when an eviction and an insert stream through thousands of cold ones. For trajectory items the slot is the
/// trajectory's slot; for step items it is the step's physical position (page × page steps + offset), so a
/// selected slot leads straight to its data. Keys are <see cref="SlotKey"/>s. Not thread-safe: the table uses
/// it under its lock.
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
        // For trajectory items the capacity is the trajectory table's, so an item's key is its trajectory's.
        _keyBits = SlotKey.BitsFor(capacity);
        _buffer = new NativeBuffer((long)capacity * sizeof(ItemRecord));
        _records = (ItemRecord*)_buffer.Pointer;
        new Span<ItemRecord>(_records, capacity).Fill(new ItemRecord { Trajectory = ItemRecord.NoTrajectory });
    }

    /// <summary>Item slots, live or not.</summary>
    public int Capacity => _capacity;

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

    /// <summary>The key of the item in <paramref name="slot"/>.</summary>
    public ulong KeyOf(int slot) => SlotKey.Compose(_records[slot].Generation, slot, _keyBits);

    /// <summary>The slot whose live item has <paramref name="key"/>, if any.</summary>
    public bool TryFind(ulong key, out int slot) =>
        SlotKey.TryDecompose(key, _keyBits, _capacity, out slot, out var generation)
        && _records[slot].Live && _records[slot].Generation == generation;

    /// <summary>The slot <paramref name="key"/> would name (for prefetching), or -1.</summary>
    public int SlotOf(ulong key) => SlotKey.TryDecompose(key, _keyBits, _capacity, out var slot, out _) ? slot : -1;

    /// <summary>Makes <paramref name="slot"/> hold a live item of generation <paramref name="generation"/>.</summary>
    public void Add(int slot, uint generation, int trajectory, int step)
    {
        _records[slot] = new ItemRecord { Generation = generation, Trajectory = trajectory, Step = step };
        Count++;
    }

    /// <summary>
    /// Makes the consecutive slots [firstSlot, firstSlot + count) hold live items: steps firstStep, firstStep + 1,
    /// … of <paramref name="trajectory"/>, each slot in its next generation.
    /// </summary>
    public void AddRun(int firstSlot, int count, int trajectory, int firstStep)
    {
        var records = _records + firstSlot;
        for (var i = 0; i < count; i++)
            records[i] = new ItemRecord { Generation = records[i].Generation + 1, Trajectory = trajectory, Step = firstStep + i };
        Count += count;
    }

    /// <summary>Ends the items of the consecutive slots [firstSlot, firstSlot + count).</summary>
    public void RemoveRun(int firstSlot, int count)
    {
        var records = _records + firstSlot;
        for (var i = 0; i < count; i++)
            records[i].Trajectory = ItemRecord.NoTrajectory;
        Count -= count;
    }

    /// <summary>Ends the slot's item (its generation stays, so the next item's key differs).</summary>
    public void Remove(int slot)
    {
        _records[slot].Trajectory = ItemRecord.NoTrajectory;
        Count--;
    }


    /// <summary>Sets a slot's generation without a live item (checkpoint restore).</summary>
    public void RestoreGeneration(int slot, uint generation) => _records[slot].Generation = generation;

    /// <summary>Makes a slot hold a live item exactly as recorded (checkpoint restore).</summary>
    public void Restore(int slot, ItemRecord record)
    {
        _records[slot] = record;
        Count++;
    }
    public void Dispose() => _buffer.Dispose();
}

/// <summary>What the table knows of one item.</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
internal struct ItemRecord
{
    /// <summary><see cref="Trajectory"/> of a slot that holds no live item.</summary>
    public const int NoTrajectory = -1;

    /// <summary>How many items the slot has held; the current item's key is (Generation, slot).</summary>
    public uint Generation;

    /// <summary>Slot of the trajectory the item belongs to, or <see cref="NoTrajectory"/>.</summary>
    public int Trajectory;

    /// <summary>The item's step in its trajectory (0 for trajectory items).</summary>
    public int Step;

    public int TimesSampled;

    public readonly bool Live => Trajectory != NoTrajectory;
}
