namespace Gear.Core.Compute;

/// <summary>
/// Selection steps that a device backend runs as kernels (kernels/selection.cu), each given its inputs explicitly
/// so that the result can be compared with the CPU's selectors (<see cref="SelectionComparison"/>): importance
/// weights as <see cref="Selection.ImportanceWeights"/> computes them, uniform picks as a
/// <see cref="Selection.UniformSelector"/> makes them, and top-k as a <see cref="Selection.TopKSelector"/> orders it.
/// </summary>
internal interface ISelectionKernels
{
    /// <summary>The weights of <see cref="Selection.ImportanceWeights.Compute"/>, with its argument checks.</summary>
    void ImportanceWeights(ReadOnlySpan<double> probabilities, int itemCount, double beta, Span<double> weights);

    /// <summary>
    /// One slot per uniform, picked as <c>SlotSet.Pick</c> picks it among the held slots: <paramref name="held"/>
    /// is the bitmap of held slots of [0, <paramref name="capacity"/>) (bit s of word s / 64), and
    /// <paramref name="ranked"/> the held slots in ascending order.
    /// </summary>
    void UniformPicks(ReadOnlySpan<double> uniforms, ReadOnlySpan<ulong> held, ReadOnlySpan<int> ranked, int capacity, Span<int> slots);

    /// <summary>
    /// <paramref name="slots"/>.Length choices in <see cref="Selection.TopKSelector"/>'s order: the held slots
    /// (<paramref name="stamps"/>[s] ≥ 0) by priority, highest first, equal priorities by lower stamp (the update
    /// number of the slot's last insert or update), starting again from the best after the last held slot.
    /// </summary>
    void TopK(ReadOnlySpan<double> priorities, ReadOnlySpan<long> stamps, Span<int> slots);
}
