namespace Gear.Core.Selection;

/// <summary>
/// Every held item equally likely: choice i is the held slot of rank floor(u_i × Count) in slot order, with
/// probability 1 / Count. Choices are independent (with replacement). Held slots live in a
/// <see cref="SlotSet"/> (bitmap and Fenwick tree): O(log(capacity/64)) per operation, cache-resident, with
/// batch inserts and removes that touch the tree once per 64 consecutive slots.
/// </summary>
public sealed class UniformSelector : IItemSelector
{
    private readonly SlotSet _items;

    /// <summary>Creates a selector for slots in [0, <paramref name="capacity"/>).</summary>
    public UniformSelector(int capacity) => _items = new SlotSet(capacity);

    /// <inheritdoc />
    public bool UsesPriorities => false;

    /// <summary>The held slots, for a device copy of them (Compute/Cuda/DeviceUniformSelector).</summary>
    internal SlotSet Slots => _items;

    /// <inheritdoc />
    public int Count => _items.Count;

    /// <inheritdoc />
    public void Insert(int slot, double priority) => _items.Add(slot);

    /// <inheritdoc />
    public void Update(int slot, double priority) => _items.CheckHeld(slot);

    /// <inheritdoc />
    public void InsertRun(int firstSlot, ReadOnlySpan<double> priorities) => _items.AddRun(firstSlot, priorities.Length);

    /// <inheritdoc />
    public void Remove(int slot) => _items.Remove(slot);

    /// <inheritdoc />
    public void RemoveRun(int firstSlot, int count) => _items.RemoveRun(firstSlot, count);

    /// <inheritdoc />
    public void Clear() => _items.Clear();

    /// <inheritdoc />
    public void Select(ReadOnlySpan<double> uniforms, Span<int> slots, Span<double> probabilities)
    {
        int count = _items.Count;
        SelectorGuards.CheckSelect(count, uniforms.Length, slots.Length, probabilities.Length);
        double probability = 1.0 / count;
        for (int i = 0; i < uniforms.Length; i++)
        {
            slots[i] = _items.Pick(uniforms[i]);
            probabilities[i] = probability;
        }
    }
}
