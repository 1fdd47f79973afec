using System.Runtime.CompilerServices;
using Gear.Core.Errors;

namespace Gear.Core.Compute;

/// <summary>
/// The shape of an 8-ary sum tree, shared by every backend so that they store and walk the same tree: the levels
/// back to back in one block of doubles, leaves first, each level padded to a multiple of 8 (level k has
/// ceil(n_{k-1} / 8) nodes), the root alone on the last level. Also the argument checks every backend applies
/// before it changes anything.
/// </summary>
internal sealed class SumTreeLayout
{
    /// <summary>The largest number of leaves a tree may have (the block stays within one .NET array).</summary>
    public const int MaxCapacity = 1 << 30;

    /// <summary>Computes the layout of a tree with <paramref name="capacity"/> leaves.</summary>
    /// <exception cref="GearException">Capacity is below 1 or above <see cref="MaxCapacity"/>.</exception>
    public SumTreeLayout(int capacity)
    {
        if (capacity < 1 || capacity > MaxCapacity)
        {
            throw new GearException(GearErrorCode.InvalidArgument,
                $"Sum tree capacity must be between 1 and {MaxCapacity}; got {capacity}.");
        }

        Capacity = capacity;
        var levels = 1;
        for (long n = capacity; n > 1; n = (n + 7) / 8)
            levels++;

        LevelOffsets = new int[levels];
        long offset = 0;
        long count = capacity;
        for (var k = 0; k < levels; k++)
        {
            LevelOffsets[k] = checked((int)offset);
            offset += (count + 7) & ~7L;
            count = (count + 7) / 8;
        }

        Top = levels - 1;
        Doubles = offset;
    }

    /// <summary>Number of leaves.</summary>
    public int Capacity { get; }

    /// <summary>First double of each level: [0] = leaves, [<see cref="Top"/>] = root.</summary>
    public int[] LevelOffsets { get; }

    /// <summary>Index of the root level.</summary>
    public int Top { get; }

    /// <summary>Doubles in the whole block.</summary>
    public long Doubles { get; }

    /// <summary>Throws unless <paramref name="slot"/> is a leaf.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CheckSlot(int slot)
    {
        if ((uint)slot >= (uint)Capacity)
            ThrowSlot(slot);
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and non-negative.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckValue(double value)
    {
        // NaN fails the first comparison.
        if (!(value >= 0 && value <= double.MaxValue))
            ThrowValue(value);
    }

    /// <summary>Checks a whole SetBatch before anything changes, so a refused batch changes nothing.</summary>
    public void CheckBatch(ReadOnlySpan<int> slots, ReadOnlySpan<double> values)
    {
        if (slots.Length != values.Length)
        {
            throw new ArgumentException(
                $"SetBatch needs one value per slot; got {slots.Length} slots and {values.Length} values.", nameof(values));
        }

        for (var i = 0; i < slots.Length; i++)
        {
            CheckSlot(slots[i]);
            CheckValue(values[i]);
        }
    }

    /// <summary>Checks the arguments of SampleStratified, and that the tree's <paramref name="total"/> is positive.</summary>
    public static void CheckSample(ReadOnlySpan<double> uniforms, int slotsLength, int valuesLength, double total)
    {
        var n = uniforms.Length;
        if (slotsLength < n || valuesLength < n)
        {
            throw new ArgumentException(
                $"SampleStratified needs room for {n} choices; got {slotsLength} slots and {valuesLength} values.");
        }

        if (!(total > 0))
            throw new InvalidOperationException("Cannot sample from a sum tree whose total is zero.");

        for (var i = 0; i < n; i++)
        {
            var u = uniforms[i];
            if (!(u >= 0.0 && u < 1.0))
                throw new ArgumentOutOfRangeException(nameof(uniforms), u, $"Uniform {i} must lie in [0, 1).");
        }
    }

    private void ThrowSlot(int slot) => throw new ArgumentOutOfRangeException(
        nameof(slot), slot, $"Slot must lie in [0, {Capacity}).");

    private static void ThrowValue(double value) => throw new GearException(GearErrorCode.InvalidArgument,
        $"Sum tree values must be finite and non-negative; got {value}.");
}
