namespace Gear.Core.Compute;

/// <summary>
/// A sum tree over item slots: the data structure behind prioritized selection, owned by a compute backend
/// so that the CUDA backend can keep it in device memory. Values are already transformed (p^α); a value of
/// zero means "not selectable". Not thread-safe.
/// </summary>
public interface IPrioritySumTree : IDisposable
{
    /// <summary>Number of leaves (item slots).</summary>
    int Capacity { get; }

    /// <summary>Sum of all leaf values.</summary>
    double Total { get; }

    /// <summary>The value of one leaf.</summary>
    double Get(int slot);

    /// <summary>Sets one leaf and the sums above it.</summary>
    void Set(int slot, double value);

    /// <summary>
    /// Sets many leaves, then the sums above them. Where a slot appears more than once, the last value wins
    /// (the CUDA backend resolves duplicates the same way).
    /// </summary>
    void SetBatch(ReadOnlySpan<int> slots, ReadOnlySpan<double> values);

    /// <summary>
    /// Stratified sampling: choice i lands on the leaf whose prefix-sum interval holds
    /// (i + uniforms[i]) / n × <see cref="Total"/>, where n = uniforms.Length. Writes the chosen slots and
    /// their leaf values. Requires <see cref="Total"/> &gt; 0.
    /// </summary>
    void SampleStratified(ReadOnlySpan<double> uniforms, Span<int> slots, Span<double> values);

    /// <summary>Sets every leaf to zero.</summary>
    void Clear();
}
