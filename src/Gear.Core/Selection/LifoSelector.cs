namespace Gear.Core.Selection;

/// <summary>Last in, first out: every choice is the newest held item (the latest Insert still held).</summary>
public sealed class LifoSelector : InsertionOrderSelector
{
    /// <summary>Creates a selector for slots in [0, <paramref name="capacity"/>).</summary>
    public LifoSelector(int capacity) : base(capacity)
    {
    }

    private protected override int Chosen => Order.Newest;
}
