namespace Gear.Core.Compute;

/// <summary>
/// Where a table's heavy work runs: prioritized selection structures and window gathers. Chosen once at
/// start-up (CPU is the reference; CUDA comes with its own issue). Inputs are explicit (random numbers in,
/// slot lists and gathers out) so that two backends can be checked against each other.
/// </summary>
public interface IComputeBackend : IDisposable
{
    /// <summary>A short name for logs and server info ("cpu", "cuda:0").</summary>
    string Name { get; }

    /// <summary>Creates a sum tree with <paramref name="capacity"/> leaves, all zero.</summary>
    IPrioritySumTree CreateSumTree(int capacity);
}
