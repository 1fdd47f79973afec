using System.Runtime.Intrinsics.X86;

namespace Gear.Core.Tables;

public sealed partial class Table
{
    /// <summary>
    /// Asks for every chosen item's record before any is read: a batch touches hundreds of random records in
    /// a large table, and fetching them in parallel rather than one miss after another is most of the cost.
    /// </summary>
    private unsafe void PrefetchItems(ReadOnlySpan<int> slots)
    {
        if (!Sse.IsSupported)
            return;
        foreach (var slot in slots)
            Sse.Prefetch0(_items.AddressOf(slot));
    }

    /// <summary>The same for items named by key (priority updates).</summary>
    private unsafe void PrefetchItems(ReadOnlySpan<ulong> keys)
    {
        if (!Sse.IsSupported)
            return;
        foreach (var key in keys)
        {
            var slot = _items.SlotOf(key);
            if (slot >= 0)
                Sse.Prefetch0(_items.AddressOf(slot));
        }
    }
}
