using System.Runtime.CompilerServices;

namespace Gear.Core.Selection;

/// <summary>
/// A binary heap of slots with a position map, ordered like Reverb's HeapSelector
/// (reverb/cc/selectors/heap.h and heap.cc): by (sign × priority, update number), where the update number
/// counts Inserts and Updates, so among equal priorities the item inserted or updated least recently comes
/// first, in a min heap and in a max heap alike. One implementation serves both: a max heap stores
/// negated priorities. O(log n) insert, update and remove; O(1) top.
/// </summary>
internal sealed class IndexedHeap
{
    private readonly double _sign; // +1: lowest priority on top; -1: highest.
    private readonly double[] _key; // sign × priority, by slot.
    private readonly long[] _stamp; // Update number of the last Insert or Update, by slot.
    private readonly int[] _heap; // Slots in heap order.
    private readonly int[] _position; // Index in _heap by slot; -1 where not held.
    private long _nextStamp;

    public IndexedHeap(int capacity, bool minHeap)
    {
        SelectorGuards.CheckCapacity(capacity);
        _sign = minHeap ? 1.0 : -1.0;
        _key = new double[capacity];
        _stamp = new long[capacity];
        _heap = new int[capacity];
        _position = new int[capacity];
        Array.Fill(_position, -1);
    }

    public int Capacity => _heap.Length;

    public int Count { get; private set; }

    /// <summary>The slot that comes first. Requires Count &gt; 0.</summary>
    public int Top => _heap[0];

    /// <summary>The slot at a heap index in [0, Count): index 0 is the top, the children of i are 2i+1, 2i+2.</summary>
    public int this[int index] => _heap[index];

    /// <summary>Whether slot <paramref name="a"/> comes before slot <paramref name="b"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Before(int a, int b)
    {
        double ka = _key[a], kb = _key[b];
        return ka < kb || (ka == kb && _stamp[a] < _stamp[b]);
    }

    public void CheckHeld(int slot)
    {
        SelectorGuards.CheckSlot(slot, _heap.Length);
        if (_position[slot] < 0)
        {
            SelectorGuards.ThrowNotHeld(slot);
        }
    }

    /// <summary>The priority of <paramref name="slot"/>, if held.</summary>
    public bool TryGetPriority(int slot, out double priority)
    {
        var held = (uint)slot < (uint)_heap.Length && _position[slot] >= 0;
        priority = held ? _sign * _key[slot] : 0;
        return held;
    }

    public void Insert(int slot, double priority)
    {
        SelectorGuards.CheckSlot(slot, _heap.Length);
        if (_position[slot] >= 0)
        {
            SelectorGuards.ThrowAlreadyHeld(slot);
        }

        _key[slot] = _sign * priority;
        _stamp[slot] = _nextStamp++;
        int index = Count++;
        _heap[index] = slot;
        _position[slot] = index;
        SiftUp(index);
    }

    public void Update(int slot, double priority)
    {
        CheckHeld(slot);
        _key[slot] = _sign * priority;
        _stamp[slot] = _nextStamp++;
        Restore(_position[slot]);
    }

    public void Remove(int slot)
    {
        CheckHeld(slot);
        int index = _position[slot];
        _position[slot] = -1;
        int last = --Count;
        if (index != last)
        {
            int moved = _heap[last];
            _heap[index] = moved;
            _position[moved] = index;
            Restore(index);
        }
    }

    public void Clear()
    {
        for (int i = 0; i < Count; i++)
        {
            _position[_heap[i]] = -1;
        }

        Count = 0;
        _nextStamp = 0;
    }

    private void Restore(int index)
    {
        if (index > 0 && Before(_heap[index], _heap[(index - 1) >> 1]))
        {
            SiftUp(index);
        }
        else
        {
            SiftDown(index);
        }
    }

    private void SiftUp(int index)
    {
        int slot = _heap[index];
        while (index > 0)
        {
            int parentIndex = (index - 1) >> 1;
            int parent = _heap[parentIndex];
            if (!Before(slot, parent))
            {
                break;
            }

            _heap[index] = parent;
            _position[parent] = index;
            index = parentIndex;
        }

        _heap[index] = slot;
        _position[slot] = index;
    }

    private void SiftDown(int index)
    {
        int slot = _heap[index];
        int count = Count;
        while (true)
        {
            int child = (2 * index) + 1;
            if (child >= count)
            {
                break;
            }

            if (child + 1 < count && Before(_heap[child + 1], _heap[child]))
            {
                child++;
            }

            int childSlot = _heap[child];
            if (!Before(childSlot, slot))
            {
                break;
            }

            _heap[index] = childSlot;
            _position[childSlot] = index;
            index = child;
        }

        _heap[index] = slot;
        _position[slot] = index;
    }

    /// <summary>The held slots by update number, oldest first: re-inserted in this order they tie-break alike.</summary>
    public int[] SlotsByStamp()
    {
        var slots = _heap.AsSpan(0, Count).ToArray();
        var stamps = new long[slots.Length];
        for (var i = 0; i < slots.Length; i++)
            stamps[i] = _stamp[slots[i]];
        Array.Sort(stamps, slots);
        return slots;
    }
}
