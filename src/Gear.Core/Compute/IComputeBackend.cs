using Gear.Core.Sampling;
using Gear.Core.Selection;
using Gear.Core.Storage;

namespace Gear.Core.Compute;

/// <summary>
/// Where a table's heavy work runs: prioritized selection structures and window gathers. Chosen once at
/// start-up (CPU is the reference; CUDA in Compute/Cuda). Inputs are explicit (random numbers in,
/// slot lists and gathers out) so that two backends can be checked against each other.
/// </summary>
public interface IComputeBackend : IDisposable
{
    /// <summary>A short name for logs and server info ("cpu", "cuda:0").</summary>
    string Name { get; }

    /// <summary>Creates a sum tree with <paramref name="capacity"/> leaves, all zero.</summary>
    IPrioritySumTree CreateSumTree(int capacity);

    /// <summary>
    /// Gathers the first <see cref="WindowBatch.Count"/> windows that <paramref name="output"/>'s sources name
    /// from <paramref name="storage"/> into its column buffers, zero-filling padding and writing the mask.
    /// The pages read must not be freed or rewritten during the call (the table holds references on them).
    /// Safe to call from several threads at once with different outputs.
    /// </summary>
    void Gather(PagedStorage storage, WindowBatch output);

    /// <summary>
    /// Throws unless this backend can gather into <paramref name="output"/>. A table asks before it chooses anything,
    /// so that an output it cannot fill changes nothing: no sample counted, no rate-limiter permission used. Here: the
    /// output must have host buffers (a <see cref="Cuda.DeviceBatch"/>'s has none).
    /// </summary>
    /// <exception cref="InvalidOperationException">The output is one this backend cannot write.</exception>
    internal void CheckOutput(WindowBatch output)
    {
        if (!output.HasHostBuffers)
            throw new InvalidOperationException($"This batch's outputs are in device memory (a DeviceBatch); the {Name} backend cannot gather into them: sample it from a table on that batch's CUDA backend.");
    }

    /// <summary>
    /// The selector a table samples with, made from the CPU's <paramref name="selector"/> (still empty): the
    /// selector itself here. A device backend returns one that makes its choices by kernel from device copies of
    /// the selector's state where it has such kernels (uniform, top-k; prioritized selection keeps its sum tree on
    /// the backend already). Removers stay on the host: they choose one victim at a time on the insert path, where a
    /// launch would only add latency.
    /// </summary>
    internal IItemSelector SamplingSelector(IItemSelector selector) => selector;

    /// <summary>A sampled batch's importance weights as <see cref="Selection.ImportanceWeights.Compute"/> gives them (a device backend: by kernel, within its tolerance).</summary>
    internal void ImportanceWeights(ReadOnlySpan<double> probabilities, int itemCount, double beta, Span<double> weights) =>
        Selection.ImportanceWeights.Compute(probabilities, itemCount, beta, weights);
}
