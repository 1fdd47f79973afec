using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Gear.Core.Selection;
using Gear.Core.Storage;

namespace Gear.Core.Tables;

/// <summary>
/// The items of a table. Each item slot has a 16-byte record in aligned unmanaged memory (four share a cache
/// line and none straddles two, which matters when a batch touches hundreds of random records), a bit in a
/// liveness bitmap, and a generation shared by its block. For trajectory items the slot is the trajectory's
/// slot and a block is one slot; for step items the slot is the step's physical position (page × page steps +
/// offset), so a selected slot leads straight to its data, and a block is a page's slots, which become items
/// together when their trajectory closes. Keys are <see cref="SlotKey"/>s of the block's generation and the slot.
/// <para>
/// Why liveness and generations are not in the records: an insert into a full table of step items ends the
/// items of one trajectory and starts those of the next, a thousand records each for W2, in a record array far
/// larger than the caches. With liveness in the records, ending them wrote (and first read) every record; with a
/// generation per record, starting them read every record to count its generation up. Now ending them clears
/// bits, and starting them counts one generation per page and writes the records without reading them, with
/// streaming stores. Not thread-safe: the table uses it under its lock.
/// </para>
/// </summary>
internal sealed unsafe class ItemTable : IDisposable
{
    private readonly NativeBuffer _buffer;
    private readonly ItemRecord* _records;
    private readonly ulong[] _live;
    private readonly uint[] _generations;
    private readonly int _blockShift;
    private readonly int _capacity;
    private readonly int _keyBits;

    /// <param name="capacity">Item slots.</param>
    /// <param name="blockShift">log2 of the slots that share a generation: 0 for trajectory items, log2 of the
    /// page steps for step items.</param>
    public ItemTable(int capacity, int blockShift)
    {
        _capacity = capacity;
        _blockShift = blockShift;
        // For trajectory items the capacity is the trajectory table's, so an item's key is its trajectory's.
        _keyBits = SlotKey.BitsFor(capacity);
        _buffer = new NativeBuffer((long)capacity * sizeof(ItemRecord));
        _records = (ItemRecord*)_buffer.Pointer;
        _live = new ulong[(capacity + 63) >> 6];
        _generations = new uint[((capacity - 1) >> blockShift) + 1];
    }

    /// <summary>Item slots, live or not.</summary>
    public int Capacity => _capacity;

    /// <summary>Live items.</summary>
    public int Count { get; private set; }

    /// <summary>The record of <paramref name="slot"/>; meaningful while the slot is live.</summary>
    public ref ItemRecord this[int slot]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            Debug.Assert((uint)slot < (uint)_capacity);
            return ref _records[slot];
        }
    }

    /// <summary>Whether <paramref name="slot"/> holds a live item.</summary>
    public bool IsLive(int slot) => BitRuns.IsSet(_live, slot);

    /// <summary>The address of a record, for prefetching.</summary>
    public ItemRecord* AddressOf(int slot) => _records + slot;

    /// <summary>The generation of <paramref name="slot"/>'s block: its item's key is (generation, slot).</summary>
    public uint GenerationOf(int slot) => _generations[slot >> _blockShift];

    /// <summary>The key of the item in <paramref name="slot"/>.</summary>
    public ulong KeyOf(int slot) => SlotKey.Compose(GenerationOf(slot), slot, _keyBits);

    /// <summary>The slot whose live item has <paramref name="key"/>, if any.</summary>
    public bool TryFind(ulong key, out int slot) =>
        SlotKey.TryDecompose(key, _keyBits, _capacity, out slot, out var generation)
        && IsLive(slot) && GenerationOf(slot) == generation;

    /// <summary>The slot <paramref name="key"/> would name (for prefetching), or -1.</summary>
    public int SlotOf(ulong key) => SlotKey.TryDecompose(key, _keyBits, _capacity, out var slot, out _) ? slot : -1;

    /// <summary>
    /// Makes <paramref name="slot"/> (a block of its own: trajectory items) hold a live item of generation
    /// <paramref name="generation"/>.
    /// </summary>
    public void Add(int slot, uint generation, int trajectory, int step)
    {
        Debug.Assert(_blockShift == 0);
        _generations[slot] = generation;
        _records[slot] = new ItemRecord { Trajectory = trajectory, Step = step };
        BitRuns.Fill(_live, slot, 1, set: true);
        Count++;
    }

    /// <summary>
    /// Makes the consecutive slots [firstSlot, firstSlot + count), the first of a block and none of the block
    /// live, hold live items: steps firstStep, firstStep + 1, … of <paramref name="trajectory"/>, in the block's
    /// next generation.
    /// </summary>
    /// <remarks>The records are written with streaming stores, which are weakly ordered: call
    /// <see cref="StreamingCopy.Fence"/> once after the last run, before the table's lock is let go.</remarks>
    /// <exception cref="InvalidOperationException">The run does not start a block, leaves it, or the block
    /// still has live items (a bookkeeping error that would give two items one key).</exception>
    public void AddRun(int firstSlot, int count, int trajectory, int firstStep)
    {
        var blockSlots = 1 << _blockShift;
        if ((firstSlot & (blockSlots - 1)) != 0 || count > blockSlots || BitRuns.Find(_live, firstSlot, blockSlots, set: true) >= 0)
            throw new InvalidOperationException($"items [{firstSlot}, {firstSlot + count}) cannot start block {firstSlot >> _blockShift}: not its start, too long, or it has live items");
        _generations[firstSlot >> _blockShift]++;
        var records = _records + firstSlot;
        if (Sse2.IsSupported)
        {
            // Whole 16-byte records, written around the cache: no read of the cold lines they replace.
            var i = 0;
            if (Avx512F.IsSupported && ((nint)records & 63) == 0)
            {
                // Four records, one cache line, per store.
                var four = Vector512.Create(trajectory, firstStep, 0, 0, trajectory, firstStep + 1, 0, 0,
                    trajectory, firstStep + 2, 0, 0, trajectory, firstStep + 3, 0, 0);
                var fourSteps = Vector512.Create(0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0);
                for (; i + 4 <= count; i += 4, four += fourSteps)
                    Avx512F.StoreAlignedNonTemporal((int*)(records + i), four);
            }
            var record = Vector128.Create(trajectory, firstStep + i, 0, 0);
            var nextStep = Vector128.Create(0, 1, 0, 0);
            for (; i < count; i++, record += nextStep)
                Sse2.StoreAlignedNonTemporal((int*)(records + i), record);
        }
        else
        {
            for (var i = 0; i < count; i++)
                records[i] = new ItemRecord { Trajectory = trajectory, Step = firstStep + i };
        }
        BitRuns.Fill(_live, firstSlot, count, set: true);
        Count += count;
    }

    /// <summary>Ends the items of the consecutive live slots [firstSlot, firstSlot + count).</summary>
    public void RemoveRun(int firstSlot, int count)
    {
        BitRuns.Fill(_live, firstSlot, count, set: false);
        Count -= count;
    }

    /// <summary>Ends the slot's item (its block's generation stays, so the next item's key differs).</summary>
    public void Remove(int slot)
    {
        BitRuns.Fill(_live, slot, 1, set: false);
        Count--;
    }

    /// <summary>
    /// Restores a slot's generation from a snapshot, into a table that has restored nothing yet. Snapshots of
    /// step items written before generations were kept per page may give a page's slots different generations;
    /// the page takes the highest, which no key of any of its slots has had yet.
    /// </summary>
    public void RestoreGeneration(int slot, uint generation)
    {
        ref var blockGeneration = ref _generations[slot >> _blockShift];
        blockGeneration = Math.Max(blockGeneration, generation);
    }

    /// <summary>Makes a slot hold a live item exactly as recorded (checkpoint restore).</summary>
    public void Restore(int slot, ItemRecord record)
    {
        _records[slot] = record;
        BitRuns.Fill(_live, slot, 1, set: true);
        Count++;
    }

    public void Dispose() => _buffer.Dispose();
}

/// <summary>What the table knows of one item.</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
internal struct ItemRecord
{
    /// <summary>Slot of the trajectory the item belongs to.</summary>
    public int Trajectory;

    /// <summary>The item's step in its trajectory (0 for trajectory items).</summary>
    public int Step;

    public int TimesSampled;
}
