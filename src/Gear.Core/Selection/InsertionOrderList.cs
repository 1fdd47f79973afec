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

    /// <summary>Appends the slots [first, first + count), in that order, none held yet; all or nothing.</summary>
    public void AppendRun(int first, int count)
    {
        if (count == 0)
        {
            return;
        }

        SelectorGuards.CheckSlot(first, _next.Length);
        SelectorGuards.CheckSlot(first + count - 1, _next.Length);
        // Spans over the run let the loops run without bounds checks.
        Span<int> next = _next.AsSpan(first, count);
        Span<int> previous = _previous.AsSpan(first, count);
        for (int i = 0; i < next.Length; i++)
        {
            if (next[i] != NotHeld)
            {
                SelectorGuards.ThrowAlreadyHeld(first + i);
            }
        }

        // Each slot points at its neighbours in the run, and the run hangs off the old tail.
        int last = first + count - 1;
        for (int i = 0; i < next.Length; i++)
        {
            previous[i] = first + i - 1;
            next[i] = first + i + 1;
        }

        _previous[first] = _tail;
        _next[last] = None;
        if (_tail == None)
        {
            _head = first;
        }
        else
        {
            _next[_tail] = first;
        }

        _tail = last;
        Count += count;
    }

    /// <summary>
    /// Removes the held slots [first, first + count). When they are one unbroken stretch of the list (an
    /// evicted trajectory's step items on one page, appended as a run and never reordered), the stretch is
    /// unlinked at its two ends; otherwise slot by slot.
    /// </summary>
    public void RemoveRun(int first, int count)
    {
        if (count == 0)
        {
            return;
        }

        int last = first + count - 1;
        SelectorGuards.CheckSlot(first, _next.Length);
        SelectorGuards.CheckSlot(last, _next.Length);
        Span<int> next = _next.AsSpan(first, count);
        bool stretch = true;
        for (int i = 0; i < next.Length; i++)
        {
            if (next[i] == NotHeld)
            {
                SelectorGuards.ThrowNotHeld(first + i);
            }

            stretch &= i == next.Length - 1 || next[i] == first + i + 1;
        }

        if (!stretch)
        {
            for (int slot = first; slot <= last; slot++)
            {
                Remove(slot);
            }

            return;
        }

        Unlink(first, last);
        next.Fill(NotHeld);
        Count -= count;
    }

    public void Remove(int slot)
    {
        CheckHeld(slot);
        Unlink(slot, slot);
        _next[slot] = NotHeld;
        Count--;
    }

    /// <summary>Joins the neighbours of the stretch [first … last] of the list (first == last for one slot).</summary>
    private void Unlink(int first, int last)
    {
        int before = _previous[first];
        int after = _next[last];
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

    /// <summary>The held slots from oldest to newest.</summary>
    public int[] ToArray()
    {
        var slots = new int[Count];
        var i = 0;
        for (var slot = _head; slot != None; slot = _next[slot])
            slots[i++] = slot;
        return slots;
    }
}
