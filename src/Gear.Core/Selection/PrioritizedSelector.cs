using System.Diagnostics;
using System.Runtime.CompilerServices;
using Gear.Core.Compute;
using Gear.Core.Errors;

namespace Gear.Core.Selection;

/// <summary>
/// Proportional prioritized selection (Schaul et al., PER): item i is chosen with probability
/// v_i / Σ v, where v_i = p_i^α, kept in a compute backend's <see cref="IPrioritySumTree"/>.
/// </summary>
/// <remarks>
/// <para>
/// A Select of n choices is one stratified draw: choice i lands in the i-th of n equal slices of the total
/// mass (see <see cref="IPrioritySumTree.SampleStratified"/>), which spreads a batch over the distribution
/// with less variance than n independent draws; n = 1 is a plain proportional draw. The probability
/// reported for a choice is its item's marginal probability v_i / Σ v (what importance weights need), not
/// the probability within its slice.
/// </para>
/// <para>
/// Zero priorities follow Reverb's PrioritizedSelector (reverb/cc/selectors/prioritized.cc): a priority of
/// zero always gives weight zero, even when α = 0 (where every non-zero priority gives weight 1, so α = 0 is
/// uniform over the items with non-zero priority). When every held item has weight zero, Select is uniform
/// over the held items, each with probability 1 / Count (stratified the same way). A positive priority whose
/// power underflows to zero (say 1e-300 with α = 2) is treated as a zero priority; one whose power
/// overflows is refused with <see cref="GearErrorCode.InvalidArgument"/>.
/// </para>
/// <para>
/// The selector takes the tree it is given (all leaves must be zero) and owns it from then on: disposing the
/// selector disposes the tree (which, on a device backend, holds device memory).
/// </para>
/// </remarks>
public sealed class PrioritizedSelector : IItemSelector, IDisposable, ISnapshotWeights
{
    // UpdateBatch transforms and applies priorities this many at a time, with its scratch on the stack.
    private const int UpdateChunk = 256;

    private readonly IPrioritySumTree _tree;
    private readonly double _exponent;
    private readonly double _maxPriority;
    private readonly SlotSet _items;

    /// <summary>Creates a selector over <paramref name="tree"/>'s slots with priority exponent α.</summary>
    /// <exception cref="GearException">α is negative, infinite or NaN, or the tree is not empty.</exception>
    public PrioritizedSelector(IPrioritySumTree tree, double priorityExponent)
    {
        ArgumentNullException.ThrowIfNull(tree);
        if (!(priorityExponent >= 0 && priorityExponent <= double.MaxValue))
        {
            throw new GearException(GearErrorCode.InvalidArgument,
                $"Priority exponent must be finite and non-negative; got {priorityExponent}.");
        }

        if (tree.Total != 0)
        {
            throw new GearException(GearErrorCode.InvalidArgument,
                "A prioritized selector needs an empty sum tree (every leaf zero).");
        }

        _tree = tree;
        _exponent = priorityExponent;
        _maxPriority = MaxPriority(priorityExponent);
        _items = new SlotSet(tree.Capacity);
    }

    /// <summary>The priority exponent α.</summary>
    public double PriorityExponent => _exponent;

    /// <inheritdoc />
    public int Count => _items.Count;

    /// <inheritdoc/>
    public double SelectionMass => _items.Count == 0 ? 0 : _tree.Total;

    /// <summary>
    /// The largest priority whose power p^α is finite (infinity for α ≤ 1), kept a little inside the true
    /// limit so that rounding in the power cannot overflow. The table validates priorities against it before
    /// it changes anything, so a selector never refuses a priority halfway through a batch.
    /// </summary>
    public static double MaxPriority(double priorityExponent) =>
        priorityExponent <= 1 ? double.PositiveInfinity : Math.Pow(double.MaxValue, 1 / priorityExponent) * (1 - 1e-12);

    /// <summary>The weight p^α that a priority gets in the tree (zero for a zero priority, whatever α).</summary>
    /// <exception cref="GearException">The priority exceeds <see cref="MaxPriority"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Weight(double priority)
    {
        Debug.Assert(priority >= 0 && double.IsFinite(priority), "The table validates priorities.");
        CheckLimit(priority);
        return priority == 0 ? 0 : _exponent == 1 ? priority : _exponent == 0 ? 1 : Math.Pow(priority, _exponent);
    }

    /// <inheritdoc />
    /// <remarks>Recovered from the tree's weight p^α, so exact for α = 1 and within rounding otherwise.</remarks>
    public bool TryGetPriority(int slot, out double priority)
    {
        priority = 0;
        if (_exponent == 0 || (uint)slot >= (uint)_tree.Capacity || !_items.Contains(slot))
            return false;
        var weight = _tree.Get(slot);
        priority = weight == 0 || _exponent == 1 ? weight : Math.Pow(weight, 1 / _exponent);
        return true;
    }

    /// <inheritdoc />
    public void Insert(int slot, double priority)
    {
        double weight = Weight(priority);
        _items.Add(slot);
        _tree.Set(slot, weight);
    }

    /// <inheritdoc />
    public void Update(int slot, double priority)
    {
        _items.CheckHeld(slot);
        _tree.Set(slot, Weight(priority));
    }

    /// <summary>
    /// Updates many held items at once through <see cref="IPrioritySumTree.SetBatch"/>, which recomputes each
    /// shared ancestor once instead of once per item. Where a slot appears more than once, the last priority
    /// wins. Every slot (and, for α &gt; 1, every power) is checked first, so a refused batch changes nothing.
    /// </summary>
    public void UpdateBatch(ReadOnlySpan<int> slots, ReadOnlySpan<double> priorities)
    {
        if (slots.Length != priorities.Length)
        {
            throw new ArgumentException(
                $"UpdateBatch needs one priority per slot; got {slots.Length} slots and {priorities.Length} priorities.",
                nameof(priorities));
        }

        for (int i = 0; i < slots.Length; i++)
        {
            _items.CheckHeld(slots[i]);
            CheckLimit(priorities[i]);
        }

        SetWeights(slots, priorities);
    }

    /// <summary>
    /// Inserts a run of consecutive items with one batched tree update (a page of step items shares most of its
    /// ancestors). Every priority is checked first, so a refused run changes nothing.
    /// </summary>
    public void InsertRun(int firstSlot, ReadOnlySpan<double> priorities)
    {
        foreach (double priority in priorities)
        {
            CheckLimit(priority);
        }

        _items.AddRun(firstSlot, priorities.Length);
        SetWeights(firstSlot, priorities.Length, priorities);
    }

    /// <summary>Removes a run of consecutive held items: one batched tree update setting their weights to zero.</summary>
    public void RemoveRun(int firstSlot, int count)
    {
        _items.RemoveRun(firstSlot, count);
        SetWeights(firstSlot, count, []);
    }

    /// <inheritdoc />
    public void Remove(int slot)
    {
        _items.Remove(slot);
        _tree.Set(slot, 0);
    }

    /// <summary>
    /// Sets the slots' leaves to the weights of <paramref name="priorities"/> (zero where it is empty), in
    /// chunks whose powers are computed as one vector batch. Priorities are already checked.
    /// </summary>
    private void SetWeights(ReadOnlySpan<int> slots, ReadOnlySpan<double> priorities)
    {
        Span<double> weights = stackalloc double[UpdateChunk];
        for (int start = 0; start < slots.Length; start += UpdateChunk)
        {
            int n = Math.Min(UpdateChunk, slots.Length - start);
            WeightsOf(priorities.IsEmpty ? [] : priorities.Slice(start, n), weights[..n]);
            _tree.SetBatch(slots.Slice(start, n), weights[..n]);
        }
    }

    /// <summary>The same for the consecutive slots [first, first + count).</summary>
    private void SetWeights(int first, int count, ReadOnlySpan<double> priorities)
    {
        Span<int> slots = stackalloc int[UpdateChunk];
        Span<double> weights = stackalloc double[UpdateChunk];
        for (int start = 0; start < count; start += UpdateChunk)
        {
            int n = Math.Min(UpdateChunk, count - start);
            for (int i = 0; i < n; i++)
            {
                slots[i] = first + start + i;
            }

            WeightsOf(priorities.IsEmpty ? [] : priorities.Slice(start, n), weights[..n]);
            _tree.SetBatch(slots[..n], weights[..n]);
        }
    }

    /// <summary>p^α for each priority (0 for 0), as one vector batch; all zeros when <paramref name="priorities"/> is empty.</summary>
    private void WeightsOf(ReadOnlySpan<double> priorities, Span<double> weights)
    {
        if (priorities.IsEmpty)
        {
            weights.Clear();
        }
        else if (_exponent == 1)
        {
            priorities.CopyTo(weights);
        }
        else if (_exponent == 0)
        {
            for (int i = 0; i < weights.Length; i++)
            {
                weights[i] = priorities[i] == 0 ? 0 : 1;
            }
        }
        else
        {
            Powers.Pow(priorities, _exponent, weights); // 0^α = 0 for α > 0, as Weight gives
        }
    }

    /// <inheritdoc />
    public void Clear()
    {
        _items.Clear();
        _tree.Clear();
    }

    /// <inheritdoc />
    public void Select(ReadOnlySpan<double> uniforms, Span<int> slots, Span<double> probabilities)
    {
        int count = _items.Count;
        int n = uniforms.Length;
        SelectorGuards.CheckSelect(count, n, slots.Length, probabilities.Length);
        if (n == 0)
        {
            return;
        }

        double total = _tree.Total;
        if (total > 0)
        {
            _tree.SampleStratified(uniforms, slots, probabilities);
            for (int i = 0; i < n; i++)
            {
                probabilities[i] /= total;
            }

            return;
        }

        // Every held item has weight zero: uniform over them (Reverb does the same), stratified like the tree.
        double probability = 1.0 / count;
        for (int i = 0; i < n; i++)
        {
            slots[i] = _items.Pick((i + uniforms[i]) / n);
            probabilities[i] = probability;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckLimit(double priority)
    {
        if (priority > _maxPriority)
        {
            ThrowOverflow(priority);
        }
    }

    private void ThrowOverflow(double priority) => throw new GearException(GearErrorCode.InvalidArgument,
        $"Priority {priority} raised to the exponent {_exponent} overflows a double.");

    /// <summary>Disposes the sum tree.</summary>
    public void Dispose() => _tree.Dispose();

    double ISnapshotWeights.GetStored(int slot) => _tree.Get(slot);

    void ISnapshotWeights.InsertStored(int slot, double stored)
    {
        if (!(stored >= 0) || double.IsInfinity(stored))
            throw new InvalidDataException($"stored weight {stored} of slot {slot} is invalid");
        _items.Add(slot);
        _tree.Set(slot, stored);
    }
}
