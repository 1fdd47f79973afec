namespace Gear.Core.Selection;

/// <summary>
/// The held slots in insertion order: a doubly-linked list threaded through arrays indexed by slot, whose
/// links are implicit inside runs. O(1) append, O(1) unlink of any slot, O(1) oldest and newest, and an append
/// or removal of a run of consecutive slots (a page of step items) that writes a few words, not every slot.
/// <para>
/// A slot's links are explicit (in <c>_next</c> and <c>_previous</c>) where its bit in <c>_explicitLinks</c> is
/// set; otherwise its neighbours are slot − 1 and slot + 1. An appended run makes its first and last slots
/// explicit and the slots between implicit, so a run costs the same whatever its length. The arrays of a
/// million slots are far larger than the caches, and before, every append and eviction wrote (and first read)
/// every slot's two entries: about a third of a W2 insert's time. Any link that changes is made explicit
/// first (<see cref="MakeExplicit"/>); an implicit link can only point at a slot next to it, so removing a slot
/// changes only its two neighbours.
/// </para>
/// </summary>
internal sealed class InsertionOrderList
{
    private const int None = -1;

    private readonly int[] _next;
    private readonly int[] _previous;
    private readonly ulong[] _held;
    private readonly ulong[] _explicitLinks;
    private int _head = None;
    private int _tail = None;

    public InsertionOrderList(int capacity)
    {
        SelectorGuards.CheckCapacity(capacity);
        _next = new int[capacity];
        _previous = new int[capacity];
        _held = new ulong[(capacity + 63) >> 6];
        _explicitLinks = new ulong[_held.Length];
    }

    public int Count { get; private set; }

    /// <summary>The oldest held slot. Requires Count &gt; 0.</summary>
    public int Oldest => _head;

    /// <summary>The newest held slot. Requires Count &gt; 0.</summary>
    public int Newest => _tail;

    public void CheckHeld(int slot)
    {
        SelectorGuards.CheckSlot(slot, _next.Length);
        if (!BitRuns.IsSet(_held, slot))
        {
            SelectorGuards.ThrowNotHeld(slot);
        }
    }

    public void Append(int slot)
    {
        SelectorGuards.CheckSlot(slot, _next.Length);
        if (BitRuns.IsSet(_held, slot))
        {
            SelectorGuards.ThrowAlreadyHeld(slot);
        }

        BitRuns.Fill(_explicitLinks, slot, 1, set: true);
        _next[slot] = None;
        _previous[slot] = _tail;
        HangOffTail(slot, slot, 1);
    }

    /// <summary>Appends the slots [first, first + count), in that order, none held yet; all or nothing.</summary>
    public void AppendRun(int first, int count)
    {
        if (count <= 1)
        {
            if (count == 1)
            {
                Append(first);
            }

            return;
        }

        SelectorGuards.CheckSlot(first, _next.Length);
        SelectorGuards.CheckSlot(first + count - 1, _next.Length);
        int alreadyHeld = BitRuns.Find(_held, first, count, set: true);
        if (alreadyHeld >= 0)
        {
            SelectorGuards.ThrowAlreadyHeld(alreadyHeld);
        }

        // The ends are explicit, the slots between them implicit: each slot's neighbours are slot ± 1.
        int last = first + count - 1;
        BitRuns.Fill(_explicitLinks, first, count, set: false);
        BitRuns.Fill(_explicitLinks, first, 1, set: true);
        BitRuns.Fill(_explicitLinks, last, 1, set: true);
        _previous[first] = _tail;
        _next[first] = first + 1;
        _previous[last] = last - 1;
        _next[last] = None;
        HangOffTail(first, last, count);
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
        int notHeld = BitRuns.Find(_held, first, count, set: false);
        if (notHeld >= 0)
        {
            SelectorGuards.ThrowNotHeld(notHeld);
        }

        if (!IsStretch(first, last))
        {
            for (int slot = first; slot <= last; slot++)
            {
                Remove(slot);
            }

            return;
        }

        Unlink(first, last);
        BitRuns.Fill(_held, first, count, set: false);
        Count -= count;
    }

    public void Remove(int slot)
    {
        CheckHeld(slot);
        Unlink(slot, slot);
        BitRuns.Fill(_held, slot, 1, set: false);
        Count--;
    }

    public void Clear()
    {
        Array.Clear(_held);
        _head = _tail = None;
        Count = 0;
    }

    /// <summary>The held slots from oldest to newest.</summary>
    public int[] ToArray()
    {
        var slots = new int[Count];
        var i = 0;
        for (var slot = _head; slot != None; slot = Next(slot))
            slots[i++] = slot;
        return slots;
    }

    private int Next(int slot) => BitRuns.IsSet(_explicitLinks, slot) ? _next[slot] : slot + 1;

    private int Previous(int slot) => BitRuns.IsSet(_explicitLinks, slot) ? _previous[slot] : slot - 1;

    /// <summary>Writes a slot's implicit links into the arrays, so that one of them can change.</summary>
    private void MakeExplicit(int slot)
    {
        if (BitRuns.IsSet(_explicitLinks, slot))
        {
            return;
        }

        _next[slot] = slot + 1;
        _previous[slot] = slot - 1;
        BitRuns.Fill(_explicitLinks, slot, 1, set: true);
    }

    /// <summary>Whether each held slot of [first, last) is followed in the list by the next slot.</summary>
    private bool IsStretch(int first, int last)
    {
        // Implicit slots are followed by slot + 1 by definition: only the explicit ones need a look.
        for (int slot = first; slot < last;)
        {
            int found = BitRuns.Find(_explicitLinks, slot, last - slot, set: true);
            if (found < 0)
            {
                return true;
            }

            if (_next[found] != found + 1)
            {
                return false;
            }

            slot = found + 1;
        }

        return true;
    }

    /// <summary>Links the linked stretch [first … last] (whose own links are written) after the tail.</summary>
    private void HangOffTail(int first, int last, int count)
    {
        if (_tail == None)
        {
            _head = first;
        }
        else
        {
            MakeExplicit(_tail);
            _next[_tail] = first;
        }

        _tail = last;
        BitRuns.Fill(_held, first, count, set: true);
        Count += count;
    }

    /// <summary>Joins the neighbours of the stretch [first … last] of the list (first == last for one slot).</summary>
    private void Unlink(int first, int last)
    {
        int before = Previous(first);
        int after = Next(last);
        if (before == None)
        {
            _head = after;
        }
        else
        {
            MakeExplicit(before);
            _next[before] = after;
        }

        if (after == None)
        {
            _tail = before;
        }
        else
        {
            MakeExplicit(after);
            _previous[after] = before;
        }
    }
}
