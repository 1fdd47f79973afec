namespace Gear.Client;

/// <summary>
/// How many windows of a batch each shard supplies: a multinomial draw with the shards' selection masses as
/// weights. Drawing B windows i.i.d. from the combined table picks shard s for each with probability
/// mass_s / Σ mass and then an item within the shard by its own selector; a multinomial count per shard
/// followed by independent draws within each shard is the same distribution.
/// </summary>
internal static class ShardSplit
{
    /// <summary>Fills <paramref name="counts"/> (one per shard) with a multinomial draw of <paramref name="batchSize"/>.</summary>
    /// <exception cref="InvalidOperationException">No shard has positive mass.</exception>
    public static void Draw(int batchSize, ReadOnlySpan<double> masses, Random random, Span<int> counts)
    {
        counts.Clear();
        double total = 0;
        foreach (var mass in masses)
            total += Math.Max(0, mass);
        if (!(total > 0))
            throw new InvalidOperationException("no shard has selection mass");
        for (var i = 0; i < batchSize; i++)
            counts[Pick(masses, random.NextDouble() * total)]++;
    }

    private static int Pick(ReadOnlySpan<double> masses, double u)
    {
        double cumulative = 0;
        var last = 0;
        for (var s = 0; s < masses.Length; s++)
        {
            if (masses[s] <= 0)
                continue;
            cumulative += masses[s];
            if (u < cumulative)
                return s;
            last = s;
        }
        // Rounding can leave u just past the sum: the last shard with mass takes it.
        return last;
    }
}
