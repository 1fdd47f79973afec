namespace Gear.Core.Tables;

/// <summary>
/// The trajectory slots of a table, as parallel arrays indexed by slot, with a free list. Keys are
/// <see cref="SlotKey"/>s, so finding a trajectory by key needs no index. Each
/// slot keeps its page table array across the trajectories that use it, so that after warm-up opening and
/// growing trajectories allocates nothing. Not thread-safe: the table uses it under its lock.
/// </summary>
internal sealed class TrajectoryTable
{
    private readonly int _keyBits;
    private readonly int[] _freeSlots;
    private int _freeCount;

    public TrajectoryTable(int capacity)
    {
        Capacity = capacity;
        Generations = new uint[capacity];
        Lengths = new int[capacity];
        PageTables = new int[capacity][];
        PageCounts = new int[capacity];
        States = new TrajectoryState[capacity];
        LiveItems = new int[capacity];
        References = new int[capacity];
        Appending = new bool[capacity];
        Array.Fill(PageTables, []);
        _keyBits = SlotKey.BitsFor(capacity);
        _freeSlots = new int[capacity];
        for (var i = 0; i < capacity; i++)
            _freeSlots[i] = capacity - 1 - i;
        _freeCount = capacity;
    }

    public int Capacity { get; }

    /// <summary>How many trajectories each slot has held; the current one's key is (generation, slot).</summary>
    public uint[] Generations { get; }

    /// <summary>The key of the trajectory in <paramref name="slot"/>.</summary>
    public ulong KeyOf(int slot) => SlotKey.Compose(Generations[slot], slot, _keyBits);

    /// <summary>Committed steps.</summary>
    public int[] Lengths { get; }

    /// <summary>Page ids in step order; only the first PageCounts[slot] entries are meaningful.</summary>
    public int[][] PageTables { get; }

    public int[] PageCounts { get; }

    public TrajectoryState[] States { get; }

    /// <summary>Items of the trajectory still in the table (closed trajectories only).</summary>
    public int[] LiveItems { get; }

    /// <summary>Gathers and appends in flight that read or write the trajectory's pages.</summary>
    public int[] References { get; }

    /// <summary>Whether an append is copying steps into the trajectory right now.</summary>
    public bool[] Appending { get; }

    /// <summary>The slot of the trajectory with <paramref name="key"/>, if it is in the table.</summary>
    public bool TryFind(ulong key, out int slot) =>
        SlotKey.TryDecompose(key, _keyBits, Capacity, out slot, out var generation)
        && Generations[slot] == generation
        && States[slot] is not (TrajectoryState.Free or TrajectoryState.Released);

    /// <summary>Takes a free slot for a new open trajectory and gives it a new key; -1 when none is free.</summary>
    public int TryOpen()
    {
        if (_freeCount == 0)
            return -1;
        var slot = _freeSlots[--_freeCount];
        Generations[slot]++;
        Lengths[slot] = 0;
        PageCounts[slot] = 0;
        States[slot] = TrajectoryState.Open;
        LiveItems[slot] = 0;
        Appending[slot] = false;
        return slot;
    }

    /// <summary>Appends a page to the slot's page table, growing the array (rarely) by doubling.</summary>
    public void AddPage(int slot, int page)
    {
        var table = PageTables[slot];
        var count = PageCounts[slot];
        if (count == table.Length)
        {
            Array.Resize(ref table, Math.Max(4, count * 2));
            PageTables[slot] = table;
        }
        table[count] = page;
        PageCounts[slot] = count + 1;
    }

    /// <summary>Takes the trajectory out of the table (its key no longer finds it); its pages stay until <see cref="Free"/>.</summary>
    public void MarkReleased(int slot) => States[slot] = TrajectoryState.Released;

    /// <summary>Returns a released, unreferenced slot to the free list.</summary>
    public void Free(int slot)
    {
        States[slot] = TrajectoryState.Free;
        PageCounts[slot] = 0;
        Lengths[slot] = 0;
        _freeSlots[_freeCount++] = slot;
    }

    /// <summary>
    /// Rebuilds the free list after a checkpoint restore set <see cref="Generations"/> and the closed slots'
    /// arrays: every slot not closed is free, low slots handed out first.
    /// </summary>
    public void RestoreFreeList()
    {
        _freeCount = 0;
        for (var slot = Capacity - 1; slot >= 0; slot--)
        {
            if (States[slot] == TrajectoryState.Free)
                _freeSlots[_freeCount++] = slot;
        }
    }
}
