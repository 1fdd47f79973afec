namespace Gear.Core.Selection;

/// <summary>Always chooses the lowest-priority item; ties go to the least recently inserted or updated.</summary>
public sealed class MinHeapSelector : HeapSelector
{
    /// <summary>Creates a selector for slots in [0, <paramref name="capacity"/>).</summary>
    public MinHeapSelector(int capacity)
        : base(capacity, minHeap: true)
    {
    }
}
