namespace Gear.Core.Selection;

/// <summary>
/// The held slots as a dense array plus a position map: O(1) insert, O(1) swap-remove, O(1) uniform pick.
/// The dense order depends only on the sequence of calls, so a seeded request stream picks the same slots.
/// </summary>
internal sealed class SlotSet
{
    private readonly int[] _dense;
    private readonly int[] _position; // -1 where the slot is not held.

    public SlotSet(int capacity)
    {
        SelectorGuards.CheckCapacity(capacity);
        _dense = new int[capacity];
        _position = new int[capacity];
        Array.Fill(_position, -1);
    }

    public int Capacity => _dense.Length;

    public int Count { get; private set; }

    /// <summary>The held slot at a dense index in [0, Count).</summary>
    public int this[int index] => _dense[index];

    public bool Contains(int slot)
    {
        SelectorGuards.CheckSlot(slot, _dense.Length);
        return _position[slot] >= 0;
    }

    /// <summary>Throws unless the slot is held.</summary>
    public void CheckHeld(int slot)
    {
        if (!Contains(slot))
        {
            SelectorGuards.ThrowNotHeld(slot);
        }
    }

    public void Add(int slot)
    {
        if (Contains(slot))
        {
            SelectorGuards.ThrowAlreadyHeld(slot);
        }

        _position[slot] = Count;
        _dense[Count++] = slot;
    }

    /// <summary>Removes a held slot by moving the last dense entry into its place.</summary>
    public void Remove(int slot)
    {
        CheckHeld(slot);
        int index = _position[slot];
        int last = _dense[--Count];
        _dense[index] = last;
        _position[last] = index;
        _position[slot] = -1;
    }

    public void Clear()
    {
        for (int i = 0; i < Count; i++)
        {
            _position[_dense[i]] = -1;
        }

        Count = 0;
    }

    /// <summary>floor(fraction × count), kept inside [0, count) whatever rounding did.</summary>
    public static int Scale(double fraction, int count)
    {
        int index = (int)(fraction * count);
        return index >= count ? count - 1 : index < 0 ? 0 : index;
    }
}
