namespace Gear.Client;

/// <summary>
/// Importance weights of a batch drawn from several shards, recomputed for the combined table as the server
/// computes them for one: w_i = (N·P(i))^−β / max_j (N·P(j))^−β.
/// </summary>
internal static class CombinedWeights
{
    /// <summary>Writes one weight per probability; β = 0 gives exactly 1.</summary>
    /// <remarks>
    /// Computed as (P_min / P(i))^β, which equals the normalised form (N cancels) and cannot overflow for tiny
    /// probabilities. A probability of 0 (a shard whose mass was not known) gets weight 1.
    /// </remarks>
    public static void Compute(ReadOnlySpan<double> probabilities, double beta, Span<double> weights)
    {
        if (beta == 0)
        {
            weights[..probabilities.Length].Fill(1.0);
            return;
        }
        var smallest = double.PositiveInfinity;
        foreach (var p in probabilities)
        {
            if (p > 0)
                smallest = Math.Min(smallest, p);
        }
        for (var i = 0; i < probabilities.Length; i++)
            weights[i] = probabilities[i] > 0 ? Math.Pow(smallest / probabilities[i], beta) : 1.0;
    }
}
