using Gear.Core.Compute;

namespace Gear.Core.Selection;

/// <summary>Builds the selector a table spec names.</summary>
public static class ItemSelectors
{
    /// <summary>
    /// Creates a selector of <paramref name="kind"/> over <paramref name="capacity"/> item slots. Prioritized
    /// selection keeps its sum tree in <paramref name="backend"/>.
    /// </summary>
    public static IItemSelector Create(SelectorKind kind, int capacity, double priorityExponent, IComputeBackend backend) => kind switch
    {
        SelectorKind.Uniform => new UniformSelector(capacity),
        SelectorKind.Prioritized => new PrioritizedSelector(backend.CreateSumTree(capacity), priorityExponent),
        SelectorKind.TopK => new TopKSelector(capacity),
        SelectorKind.Fifo => new FifoSelector(capacity),
        SelectorKind.Lifo => new LifoSelector(capacity),
        SelectorKind.MinHeap => new MinHeapSelector(capacity),
        SelectorKind.MaxHeap => new MaxHeapSelector(capacity),
        SelectorKind.UniformWithoutReplacement => new UniformWithoutReplacementSelector(capacity),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown selector kind"),
    };
}
