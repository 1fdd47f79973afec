namespace Gear.Core.Selection;

/// <summary>
/// The held slots in insertion order: an intrusive doubly-linked list threaded through two arrays indexed by
/// slot. O(1) append, O(1) unlink of any slot, O(1) oldest and newest.
/// </summary>
internal sealed class InsertionOrderList
{
    private const int None = -1;
    private const int NotHeld = -2; // In _next: the slot is not in the list.

    private readonly int[] _next;
    private readonly int[] _previous;
    private int _head = None;
    private int _tail = None;

    public InsertionOrderList(int capacity)
    {
        SelectorGuards.CheckCapacity(capacity);
        _next = new int[capacity];
        _previous = new int[capacity];
        Array.Fill(_next, NotHeld);
    }

    public int Count { get; private set; }

    /// <summary>The oldest held slot. Requires Count &gt; 0.</summary>
    public int Oldest => _head;

    /// <summary>The newest held slot. Requires Count &gt; 0.</summary>
    public int Newest => _tail;

    public void CheckHeld(int slot)
    {
        SelectorGuards.CheckSlot(slot, _next.Length);
        if (_next[slot] == NotHeld)
        {
            SelectorGuards.ThrowNotHeld(slot);
        }
    }

    public void Append(int slot)
    {
        SelectorGuards.CheckSlot(slot, _next.Length);
        if (_next[slot] != NotHeld)
        {
            SelectorGuards.ThrowAlreadyHeld(slot);
        }

        _next[slot] = None;
        _previous[slot] = _tail;
        if (_tail == None)
        {
            _head = slot;
        }
        else
        {
            _next[_tail] = slot;
        }

        _tail = slot;
        Count++;
    }

    /// <summary>Appends many slots, in order, none held yet; all or nothing.</summary>
    public void AppendMany(ReadOnlySpan<int> slots)
    {
        foreach (int slot in slots)
        {
            SelectorGuards.CheckSlot(slot, _next.Length);
        }

        for (int i = 0; i < slots.Length; i++)
        {
            // Mark as we go, so that a slot repeated in the batch is caught too; undo on failure.
            if (_next[slots[i]] != NotHeld)
            {
                for (int j = 0; j < i; j++)
                {
                    _next[slots[j]] = NotHeld;
                }

                SelectorGuards.ThrowAlreadyHeld(slots[i]);
            }

            _next[slots[i]] = None;
        }

        // Link the run: each slot points at its neighbours in the batch, and the run hangs off the old tail.
        int previous = _tail;
        foreach (int slot in slots)
        {
            _previous[slot] = previous;
            if (previous == None)
            {
                _head = slot;
            }
            else
            {
                _next[previous] = slot;
            }

            previous = slot;
        }

        if (slots.Length > 0)
        {
            _next[previous] = None;
            _tail = previous;
        }

        Count += slots.Length;
    }

    /// <summary>
    /// Removes many held slots. When they form one unbroken stretch of the list in order (an evicted
    /// trajectory's remaining step items always do), the stretch is unlinked at its two ends only.
    /// </summary>
    public void RemoveMany(ReadOnlySpan<int> slots)
    {
        foreach (int slot in slots)
        {
            CheckHeld(slot);
        }

        if (slots.Length == 0)
        {
            return;
        }

        bool stretch = true;
        for (int i = 0; i + 1 < slots.Length && stretch; i++)
        {
            stretch = _next[slots[i]] == slots[i + 1];
        }

        if (!stretch)
        {
            foreach (int slot in slots)
            {
                Remove(slot);
            }

            return;
        }

        int before = _previous[slots[0]];
        int after = _next[slots[^1]];
        if (before == None)
        {
            _head = after;
        }
        else
        {
            _next[before] = after;
        }

        if (after == None)
        {
            _tail = before;
        }
        else
        {
            _previous[after] = before;
        }

        foreach (int slot in slots)
        {
            _next[slot] = NotHeld;
        }

        Count -= slots.Length;
    }

    public void Remove(int slot)
    {
        CheckHeld(slot);
        int next = _next[slot];
        int previous = _previous[slot];
        if (previous == None)
        {
            _head = next;
        }
        else
        {
            _next[previous] = next;
        }

        if (next == None)
        {
            _tail = previous;
        }
        else
        {
            _previous[next] = previous;
        }

        _next[slot] = NotHeld;
        Count--;
    }

    public void Clear()
    {
        for (int slot = _head; slot != None;)
        {
            int next = _next[slot];
            _next[slot] = NotHeld;
            slot = next;
        }

        _head = _tail = None;
        Count = 0;
    }
}
