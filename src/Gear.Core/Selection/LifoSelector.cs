namespace Gear.Core.Selection;

/// <summary>
/// Last in, first out: every choice is the newest held item (the latest Insert still held), with
/// probability 1. A Select of n returns that item n times; a Stack table gets distinct items because it
/// retires an item after its last allowed sample and selects again. Updates do not change the order
/// (as in Reverb's LifoSelector). O(1) per operation.
/// </summary>
public sealed class LifoSelector : IItemSelector
{
    private readonly InsertionOrderList _order;

    /// <summary>Creates a selector for slots in [0, <paramref name="capacity"/>).</summary>
    public LifoSelector(int capacity) => _order = new InsertionOrderList(capacity);

    /// <inheritdoc />
    public bool UsesPriorities => false;

    /// <inheritdoc />
    public int Count => _order.Count;

    /// <inheritdoc />
    public void Insert(int slot, double priority) => _order.Append(slot);

    /// <inheritdoc />
    public void Update(int slot, double priority) => _order.CheckHeld(slot);

    /// <inheritdoc />
    public void Remove(int slot) => _order.Remove(slot);

    /// <inheritdoc />
    public void Clear() => _order.Clear();

    /// <inheritdoc />
    public void Select(ReadOnlySpan<double> uniforms, Span<int> slots, Span<double> probabilities)
    {
        SelectorGuards.CheckSelect(_order.Count, uniforms.Length, slots.Length, probabilities.Length);
        slots[..uniforms.Length].Fill(_order.Newest);
        probabilities[..uniforms.Length].Fill(1.0);
    }
}
