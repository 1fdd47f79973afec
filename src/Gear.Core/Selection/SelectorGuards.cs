using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Gear.Core.Errors;

namespace Gear.Core.Selection;

/// <summary>
/// The cheap misuse checks every selector makes, with their messages in one place. Priorities are validated
/// by the table before they get here; these catch slot bookkeeping mistakes, which would otherwise corrupt
/// a selector's index silently.
/// </summary>
internal static class SelectorGuards
{
    /// <summary>Refuses a capacity below 1.</summary>
    public static void CheckCapacity(int capacity)
    {
        if (capacity < 1)
        {
            throw new GearException(GearErrorCode.InvalidArgument, $"Selector capacity must be at least 1; got {capacity}.");
        }
    }

    /// <summary>Refuses a slot outside [0, capacity).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckSlot(int slot, int capacity)
    {
        if ((uint)slot >= (uint)capacity)
        {
            ThrowSlotOutOfRange(slot, capacity);
        }
    }

    /// <summary>Refuses a Select whose output spans are shorter than its input, or one on an empty selector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckSelect(int count, int choices, int slotsLength, int probabilitiesLength)
    {
        if (slotsLength < choices || probabilitiesLength < choices)
        {
            ThrowOutputTooShort(choices, slotsLength, probabilitiesLength);
        }

        if (count == 0 && choices > 0)
        {
            ThrowEmpty();
        }
    }

    /// <summary>Refuses to insert a slot that is held already.</summary>
    [DoesNotReturn]
    public static void ThrowAlreadyHeld(int slot) =>
        throw new InvalidOperationException($"Slot {slot} is already held by this selector; remove it before inserting it again.");

    /// <summary>Refuses to update or remove a slot that is not held.</summary>
    [DoesNotReturn]
    public static void ThrowNotHeld(int slot) =>
        throw new InvalidOperationException($"Slot {slot} is not held by this selector.");

    [DoesNotReturn]
    private static void ThrowSlotOutOfRange(int slot, int capacity) =>
        throw new ArgumentOutOfRangeException(nameof(slot), slot, $"Slot must lie in [0, {capacity}).");

    [DoesNotReturn]
    private static void ThrowOutputTooShort(int choices, int slotsLength, int probabilitiesLength) =>
        throw new ArgumentException(
            $"Select makes {choices} choices but got room for {slotsLength} slots and {probabilitiesLength} probabilities.");

    [DoesNotReturn]
    private static void ThrowEmpty() =>
        throw new InvalidOperationException("Cannot select from a selector that holds no items.");
}
