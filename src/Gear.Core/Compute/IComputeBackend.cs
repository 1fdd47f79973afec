using Gear.Core.Sampling;
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
}
