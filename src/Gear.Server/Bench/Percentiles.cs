namespace Gear.Server.Bench;

/// <summary>Percentiles of measured values (latencies), by linear interpolation between the closest ranks.</summary>
public static class Percentiles
{
    /// <summary>
    /// The <paramref name="percentile"/>-th percentile (0 to 100) of <paramref name="sorted"/>, which must be in
    /// ascending order. Interpolates between the two closest ranks (numpy's default, "linear"): with few samples
    /// a nearest-rank p99 would simply be the maximum, and the interpolated value moves smoothly as samples come.
    /// </summary>
    /// <exception cref="ArgumentException">No values, or a percentile outside 0 to 100.</exception>
    public static double OfSorted(ReadOnlySpan<double> sorted, double percentile)
    {
        if (sorted.IsEmpty)
            throw new ArgumentException("percentiles of no values are undefined", nameof(sorted));
        if (!(percentile >= 0 && percentile <= 100))
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "must be between 0 and 100");
        var rank = percentile / 100 * (sorted.Length - 1);
        var below = (int)Math.Floor(rank);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (rank - below) * (sorted[above] - sorted[below]);
    }

    /// <summary>Sorts <paramref name="values"/> in place and returns the requested percentiles, in the order asked.</summary>
    public static double[] Of(Span<double> values, params ReadOnlySpan<double> percentiles)
    {
        values.Sort();
        var result = new double[percentiles.Length];
        for (var i = 0; i < percentiles.Length; i++)
            result[i] = OfSorted(values, percentiles[i]);
        return result;
    }
}
