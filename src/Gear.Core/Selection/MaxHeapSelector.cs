namespace Gear.Core.Selection;

/// <summary>Always chooses the highest-priority item; ties go to the least recently inserted or updated.</summary>
public sealed class MaxHeapSelector : HeapSelector
{
    /// <summary>Creates a selector for slots in [0, <paramref name="capacity"/>).</summary>
    public MaxHeapSelector(int capacity)
        : base(capacity, minHeap: false)
    {
    }
}
