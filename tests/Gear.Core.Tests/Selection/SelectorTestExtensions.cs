using Gear.Core.Selection;

namespace Gear.Core.Tests.Selection;

internal static class SelectorTestExtensions
{
    /// <summary>One choice (uniform 0.5); asserts probability 1 for the deterministic selectors.</summary>
    public static int SelectOne(this IItemSelector selector, double uniform = 0.5)
    {
        var slots = new int[1];
        var probabilities = new double[1];
        selector.Select([uniform], slots, probabilities);
        return slots[0];
    }

    /// <summary>n choices with arbitrary uniforms; returns the slots and checks every probability is 1.</summary>
    public static int[] SelectDeterministic(this IItemSelector selector, int n)
    {
        var uniforms = new double[n];
        new TestRandom((ulong)n).Fill(uniforms);
        var slots = new int[n];
        var probabilities = new double[n];
        selector.Select(uniforms, slots, probabilities);
        Assert.IsTrue(probabilities.All(p => p == 1.0), "Deterministic selectors report probability 1.");
        return slots;
    }

    /// <summary>Selects and removes the top item until empty, returning the order.</summary>
    public static List<int> Drain(this IItemSelector selector)
    {
        var order = new List<int>();
        while (selector.Count > 0)
        {
            int slot = selector.SelectDeterministic(1)[0];
            order.Add(slot);
            selector.Remove(slot);
        }

        return order;
    }
}
