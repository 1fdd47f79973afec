namespace Gear.Core.Selection;

/// <summary>
/// The common part of <see cref="FifoSelector"/> and <see cref="LifoSelector"/>: items kept in insertion
/// order, every choice being one end of that order, with probability 1. A Select of n returns that item n
/// times; a Queue or Stack table gets distinct items because it retires an item after its last allowed sample
/// and selects again. Updates do not change the order (as in Reverb). O(1) per operation.
/// </summary>
public abstract class InsertionOrderSelector : IItemSelector, ISnapshotOrder
{
    private protected InsertionOrderSelector(int capacity) => Order = new InsertionOrderList(capacity);

    private protected InsertionOrderList Order { get; }

    /// <summary>The slot every choice returns.</summary>
    private protected abstract int Chosen { get; }

    /// <inheritdoc />
    public bool UsesPriorities => false;

    /// <inheritdoc />
    public int Count => Order.Count;

    /// <inheritdoc />
    public void Insert(int slot, double priority) => Order.Append(slot);

    /// <inheritdoc />
    public void Update(int slot, double priority) => Order.CheckHeld(slot);

    /// <inheritdoc />
    public void InsertRun(int firstSlot, ReadOnlySpan<double> priorities) => Order.AppendRun(firstSlot, priorities.Length);

    /// <inheritdoc />
    public void Remove(int slot) => Order.Remove(slot);

    /// <inheritdoc />
    public void RemoveRun(int firstSlot, int count) => Order.RemoveRun(firstSlot, count);

    /// <inheritdoc />
    public void Clear() => Order.Clear();

    /// <inheritdoc />
    public void Select(ReadOnlySpan<double> uniforms, Span<int> slots, Span<double> probabilities)
    {
        SelectorGuards.CheckSelect(Order.Count, uniforms.Length, slots.Length, probabilities.Length);
        slots[..uniforms.Length].Fill(Chosen);
        probabilities[..uniforms.Length].Fill(1.0);
    }

    int[] ISnapshotOrder.RestoreOrder(out int mark)
    {
        mark = 0;
        return Order.ToArray();
    }

    void ISnapshotOrder.RestoreMark(int mark)
    {
    }
}
