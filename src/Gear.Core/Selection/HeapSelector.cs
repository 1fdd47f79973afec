namespace Gear.Core.Selection;

/// <summary>
/// Always chooses the held item with the lowest (<see cref="MinHeapSelector"/>) or highest
/// (<see cref="MaxHeapSelector"/>) priority, with probability 1; a Select of n returns that item n times.
/// Ties go to the item inserted or updated least recently, as in Reverb's HeapSelector
/// (reverb/cc/selectors/heap.h: ordering by (priority, update number)); an Update moves an item behind its
/// equals even when the priority does not change. O(log n) insert, update and remove; O(1) per choice.
/// </summary>
public abstract class HeapSelector : IItemSelector
{
    private readonly IndexedHeap _heap;

    private protected HeapSelector(int capacity, bool minHeap) => _heap = new IndexedHeap(capacity, minHeap);

    /// <inheritdoc />
    public int Count => _heap.Count;

    /// <inheritdoc />
    public void Insert(int slot, double priority) => _heap.Insert(slot, priority);

    /// <inheritdoc />
    public void Update(int slot, double priority) => _heap.Update(slot, priority);

    /// <inheritdoc />
    public void Remove(int slot) => _heap.Remove(slot);

    /// <inheritdoc />
    public void Clear() => _heap.Clear();

    /// <inheritdoc />
    public void Select(ReadOnlySpan<double> uniforms, Span<int> slots, Span<double> probabilities)
    {
        SelectorGuards.CheckSelect(_heap.Count, uniforms.Length, slots.Length, probabilities.Length);
        slots[..uniforms.Length].Fill(_heap.Top);
        probabilities[..uniforms.Length].Fill(1.0);
    }
}
