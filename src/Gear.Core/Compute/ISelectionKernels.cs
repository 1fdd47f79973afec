namespace Gear.Core.Compute;

/// <summary>
/// The selection step that a device backend runs as kernels on a batch's own data (kernels/selection.cu), given its
/// inputs explicitly so that the result can be compared with the CPU's (<see cref="SelectionComparison"/>):
/// importance weights as <see cref="Selection.ImportanceWeights"/> computes them. (Uniform picks and top-k read
/// state that lives on the device; they are compared as whole selectors.)
/// </summary>
internal interface ISelectionKernels
{
    /// <summary>The weights of <see cref="Selection.ImportanceWeights.Compute"/>, with its argument checks.</summary>
    void ImportanceWeights(ReadOnlySpan<double> probabilities, int itemCount, double beta, Span<double> weights);
}
