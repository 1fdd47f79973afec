namespace Gear.Core.Selection;

/// <summary>
/// Uniform sampling without replacement within an epoch: every held item is chosen once before any item is
/// chosen twice. Each choice is uniform over the held items not yet chosen in the current epoch, with
/// probability 1 / (that number at that moment). When a choice finds none left, a new epoch starts over all
/// held items, so a Select of more than Count choices repeats items only across the epoch boundary.
/// </summary>
/// <remarks>
/// An item inserted mid-epoch joins the current epoch's unchosen items; an item removed mid-epoch simply
/// leaves; an update changes nothing. Select advances the epoch state (it is not a pure read).
/// Storage: one dense array split in two, [0, unchosen) not yet chosen and [unchosen, Count) chosen this
/// epoch, plus a position map; every operation is O(1).
/// </remarks>
public sealed class UniformWithoutReplacementSelector : IItemSelector, ISnapshotOrder
{
    private readonly int[] _dense;
    private readonly int[] _position; // -1 where the slot is not held.
    private int _count;
    private int _unchosen;

    /// <summary>Creates a selector for slots in [0, <paramref name="capacity"/>).</summary>
    public UniformWithoutReplacementSelector(int capacity)
    {
        SelectorGuards.CheckCapacity(capacity);
        _dense = new int[capacity];
        _position = new int[capacity];
        Array.Fill(_position, -1);
    }

    /// <inheritdoc />
    public bool UsesPriorities => false;

    /// <inheritdoc />
    public int Count => _count;

    /// <summary>How many held items the current epoch has not chosen yet.</summary>
    public int RemainingInEpoch => _unchosen;

    /// <inheritdoc />
    public void Insert(int slot, double priority)
    {
        SelectorGuards.CheckSlot(slot, _dense.Length);
        if (_position[slot] >= 0)
        {
            SelectorGuards.ThrowAlreadyHeld(slot);
        }

        // The first chosen item (if any) moves to the end; the new item takes its place in the unchosen part.
        if (_unchosen < _count)
        {
            Place(_dense[_unchosen], _count);
        }

        Place(slot, _unchosen);
        _unchosen++;
        _count++;
    }

    /// <inheritdoc />
    public void Update(int slot, double priority) => CheckHeld(slot);

    /// <inheritdoc />
    public void Remove(int slot)
    {
        CheckHeld(slot);
        int index = _position[slot];
        if (index < _unchosen)
        {
            // Fill the hole with the last unchosen item, and that one's place with the last chosen item.
            _unchosen--;
            Place(_dense[_unchosen], index);
            index = _unchosen;
        }

        // Then the last chosen item fills the place left, unless that place is the end of the array already
        // (moving it there would record a wrong position for an item moved above).
        _count--;
        if (index != _count)
        {
            Place(_dense[_count], index);
        }

        _position[slot] = -1;
    }

    /// <inheritdoc />
    public void Clear()
    {
        for (int i = 0; i < _count; i++)
        {
            _position[_dense[i]] = -1;
        }

        _count = 0;
        _unchosen = 0;
    }

    /// <inheritdoc />
    public void Select(ReadOnlySpan<double> uniforms, Span<int> slots, Span<double> probabilities)
    {
        SelectorGuards.CheckSelect(_count, uniforms.Length, slots.Length, probabilities.Length);
        for (int i = 0; i < uniforms.Length; i++)
        {
            if (_unchosen == 0)
            {
                _unchosen = _count; // A new epoch over every held item.
            }

            int index = SlotSet.Scale(uniforms[i], _unchosen);
            int slot = _dense[index];
            slots[i] = slot;
            probabilities[i] = 1.0 / _unchosen;

            // Move the chosen item to the front of the chosen part.
            _unchosen--;
            Place(_dense[_unchosen], index);
            Place(slot, _unchosen);
        }
    }

    private void Place(int slot, int index)
    {
        _dense[index] = slot;
        _position[slot] = index;
    }

    private void CheckHeld(int slot)
    {
        SelectorGuards.CheckSlot(slot, _dense.Length);
        if (_position[slot] < 0)
        {
            SelectorGuards.ThrowNotHeld(slot);
        }
    }

    int[] ISnapshotOrder.RestoreOrder(out int mark)
    {
        mark = _unchosen;
        return _dense.AsSpan(0, _count).ToArray();
    }

    void ISnapshotOrder.RestoreMark(int mark)
    {
        if (mark < 0 || mark > _count)
            throw new InvalidDataException($"epoch mark {mark} is outside [0, {_count}]");
        _unchosen = mark;
    }
}
