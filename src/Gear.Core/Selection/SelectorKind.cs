namespace Gear.Core.Selection;

/// <summary>How a table chooses items to sample, or (as a remover) to evict.</summary>
public enum SelectorKind
{
    /// <summary>Every item equally likely.</summary>
    Uniform,
    /// <summary>Item i with probability p_i^α / Σ p^α (sum tree; importance weights with β).</summary>
    Prioritized,
    /// <summary>The highest-priority items: a batch of B gets the B best distinct items, best first.</summary>
    TopK,
    /// <summary>The oldest item (first inserted).</summary>
    Fifo,
    /// <summary>The newest item (last inserted).</summary>
    Lifo,
    /// <summary>The lowest-priority item.</summary>
    MinHeap,
    /// <summary>The highest-priority item.</summary>
    MaxHeap,
    /// <summary>Uniform without replacement within an epoch: every item once before any item twice.</summary>
    UniformWithoutReplacement,
}
