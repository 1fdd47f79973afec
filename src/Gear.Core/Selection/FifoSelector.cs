namespace Gear.Core.Selection;

/// <summary>First in, first out: every choice is the oldest held item (the earliest Insert still held).</summary>
public sealed class FifoSelector : InsertionOrderSelector
{
    /// <summary>Creates a selector for slots in [0, <paramref name="capacity"/>).</summary>
    public FifoSelector(int capacity) : base(capacity)
    {
    }

    private protected override int Chosen => Order.Oldest;
}
