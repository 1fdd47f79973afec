namespace Gear.Core.Selection;

/// <summary>
/// Chooses items for sampling or removal. Items are named by dense slot numbers in [0, capacity) that the
/// table assigns; the selector keeps whatever index it needs over them. Not thread-safe: the table calls it
/// under its own lock.
/// </summary>
/// <remarks>
/// Selection takes its random numbers as an explicit input (one uniform in [0, 1) per choice), so that the
/// CPU and CUDA backends given the same randoms choose the same items, and so that a seeded request stream
/// is reproducible. Selectors that are not random (Fifo, heaps, TopK) ignore the values.
/// </remarks>
public interface IItemSelector
{
    /// <summary>
    /// Whether choices depend on priorities. When false, priority updates are skipped: they would only touch
    /// the selector's index for nothing (a cache miss per item on a large table).
    /// </summary>
    bool UsesPriorities => true;

    /// <summary>How many items the selector currently holds.</summary>
    int Count { get; }

    /// <summary>
    /// The weight of everything this selector chooses from: Σ p^α for prioritized selection, the item count
    /// otherwise. A client sampling several tables as one draws from each in proportion to this.
    /// </summary>
    double SelectionMass => Count;

    /// <summary>
    /// The priority of a held item, where the selector keeps it (for statistics such as the admin dashboard's
    /// priority histogram). False when the selector does not store priorities (uniform, insertion order) or
    /// cannot recover them (prioritized with α = 0, where every weight is 1).
    /// </summary>
    bool TryGetPriority(int slot, out double priority)
    {
        priority = 0;
        return false;
    }

    /// <summary>Adds an item. Insertion order is the order of calls. The slot must not be held already.</summary>
    void Insert(int slot, double priority);

    /// <summary>
    /// Adds the items at the consecutive slots [<paramref name="firstSlot"/>, firstSlot + priorities.Length), in
    /// order: a closed trajectory's step items on one page. Selectors with word- or node-level structures
    /// override this to touch each shared part once.
    /// </summary>
    void InsertRun(int firstSlot, ReadOnlySpan<double> priorities)
    {
        for (var i = 0; i < priorities.Length; i++)
            Insert(firstSlot + i, priorities[i]);
    }

    /// <summary>Changes the priority of a held item.</summary>
    void Update(int slot, double priority);

    /// <summary>
    /// Changes the priorities of many held items as one batch; where a slot repeats, the last priority wins.
    /// Selectors with a batched structure (the prioritized sum tree) override this.
    /// </summary>
    void UpdateBatch(ReadOnlySpan<int> slots, ReadOnlySpan<double> priorities)
    {
        for (var i = 0; i < slots.Length; i++)
            Update(slots[i], priorities[i]);
    }

    /// <summary>Removes a held item.</summary>
    void Remove(int slot);

    /// <summary>Removes the held items at the consecutive slots [<paramref name="firstSlot"/>, firstSlot + count).</summary>
    void RemoveRun(int firstSlot, int count)
    {
        for (var slot = firstSlot; slot < firstSlot + count; slot++)
            Remove(slot);
    }

    /// <summary>Removes every item.</summary>
    void Clear();

    /// <summary>
    /// Makes one choice per entry of <paramref name="uniforms"/>, writing the chosen slot and the probability
    /// with which it was chosen. Requires <see cref="Count"/> &gt; 0.
    /// </summary>
    void Select(ReadOnlySpan<double> uniforms, Span<int> slots, Span<double> probabilities);
}
