namespace Gear.Core.Selection;

/// <summary>
/// Always chooses the held item with the lowest (<see cref="MinHeapSelector"/>) or highest
/// (<see cref="MaxHeapSelector"/>) priority, with probability 1; a Select of n returns that item n times.
/// Ties go to the item inserted or updated least recently, as in Reverb's HeapSelector
/// (reverb/cc/selectors/heap.h: ordering by (priority, update number)); an Update moves an item behind its
/// equals even when the priority does not change. O(log n) insert, update and remove; O(1) per choice.
/// <see cref="TopKSelector"/> keeps the same max heap and overrides Select to walk it best-first.
/// </summary>
public abstract class HeapSelector : IItemSelector, ISnapshotOrder
{
    private protected HeapSelector(int capacity, bool minHeap) => Heap = new IndexedHeap(capacity, minHeap);

    private protected IndexedHeap Heap { get; }

    /// <summary>The number of slots, [0, Capacity).</summary>
    internal int Capacity => Heap.Capacity;

    /// <inheritdoc />
    public int Count => Heap.Count;

    /// <inheritdoc />
    public bool TryGetPriority(int slot, out double priority) => Heap.TryGetPriority(slot, out priority);

    /// <inheritdoc />
    public void Insert(int slot, double priority) => Heap.Insert(slot, priority);

    /// <inheritdoc />
    public void Update(int slot, double priority) => Heap.Update(slot, priority);

    /// <inheritdoc />
    public void Remove(int slot) => Heap.Remove(slot);

    /// <inheritdoc />
    public void Clear() => Heap.Clear();

    /// <inheritdoc />
    public virtual void Select(ReadOnlySpan<double> uniforms, Span<int> slots, Span<double> probabilities)
    {
        SelectorGuards.CheckSelect(Heap.Count, uniforms.Length, slots.Length, probabilities.Length);
        slots[..uniforms.Length].Fill(Heap.Top);
        probabilities[..uniforms.Length].Fill(1.0);
    }

    int[] ISnapshotOrder.RestoreOrder(out int mark)
    {
        mark = 0;
        return Heap.SlotsByStamp();
    }

    void ISnapshotOrder.RestoreMark(int mark)
    {
    }
}
