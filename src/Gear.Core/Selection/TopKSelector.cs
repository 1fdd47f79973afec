namespace Gear.Core.Selection;

/// <summary>
/// The highest-priority items: a Select of n choices returns the n best distinct held items, best first, each
/// with probability 1. Order and ties are those of <see cref="MaxHeapSelector"/> (equal priorities: the item
/// inserted or updated least recently first). When n exceeds Count, the list starts again from the best:
/// choice i is the (i mod Count)-th best.
/// </summary>
/// <remarks>
/// The items live in a max heap (O(log n) insert, update, remove). A Select walks the heap best-first with a
/// small candidate heap of heap positions: pop the best candidate, emit it, push its two children. That is
/// O(k log k) for k = min(n, Count), without sorting or touching the rest of the items.
/// </remarks>
public sealed class TopKSelector : HeapSelector
{
    private readonly int[] _candidates; // Heap positions in the max heap, themselves a binary heap best-first.

    /// <summary>Creates a selector for slots in [0, <paramref name="capacity"/>).</summary>
    public TopKSelector(int capacity)
        : base(capacity, minHeap: false)
    {
        // Each emitted item adds at most one candidate net, so k emitted items leave at most k + 1.
        _candidates = new int[capacity + 1];
    }

    /// <inheritdoc />
    public override void Select(ReadOnlySpan<double> uniforms, Span<int> slots, Span<double> probabilities)
    {
        int count = Heap.Count;
        int n = uniforms.Length;
        SelectorGuards.CheckSelect(count, n, slots.Length, probabilities.Length);
        if (n == 0)
        {
            return;
        }

        int distinct = Math.Min(n, count);
        int candidates = 0;
        Push(ref candidates, 0);
        for (int i = 0; i < distinct; i++)
        {
            int position = Pop(ref candidates);
            slots[i] = Heap[position];
            int child = (2 * position) + 1;
            if (child < count)
            {
                Push(ref candidates, child);
            }

            if (child + 1 < count)
            {
                Push(ref candidates, child + 1);
            }
        }

        for (int i = distinct; i < n; i++)
        {
            slots[i] = slots[i - distinct];
        }

        probabilities[..n].Fill(1.0);
    }

    private bool Better(int positionA, int positionB) => Heap.Before(Heap[positionA], Heap[positionB]);

    private void Push(ref int size, int position)
    {
        int index = size++;
        while (index > 0)
        {
            int parent = (index - 1) >> 1;
            if (!Better(position, _candidates[parent]))
            {
                break;
            }

            _candidates[index] = _candidates[parent];
            index = parent;
        }

        _candidates[index] = position;
    }

    private int Pop(ref int size)
    {
        int best = _candidates[0];
        int last = _candidates[--size];
        int index = 0;
        while (true)
        {
            int child = (2 * index) + 1;
            if (child >= size)
            {
                break;
            }

            if (child + 1 < size && Better(_candidates[child + 1], _candidates[child]))
            {
                child++;
            }

            if (!Better(_candidates[child], last))
            {
                break;
            }

            _candidates[index] = _candidates[child];
            index = child;
        }

        if (size > 0)
        {
            _candidates[index] = last;
        }

        return best;
    }
}
