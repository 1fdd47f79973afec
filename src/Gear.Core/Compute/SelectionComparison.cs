using Gear.Core.Selection;

namespace Gear.Core.Compute;

/// <summary>
/// Checks a backend's selection kernels against the CPU's selectors on random inputs from a seed: importance
/// weights against <see cref="ImportanceWeights"/> (within <see cref="WeightTolerance"/> relative, exactly 1 for the
/// batch's least likely items), uniform picks against a <see cref="UniformSelector"/> holding the same slots, and
/// top-k against a <see cref="TopKSelector"/> given the same inserts, updates and removals (priorities drawn from a
/// few values, so that ties are decided by the update order); slots index-equal. Outputs are poisoned first, so
/// that an unwritten element shows. Part of <see cref="BackendComparison.Run"/> for device backends.
/// </summary>
internal static class SelectionComparison
{
    /// <summary>
    /// The largest relative difference allowed between device and CPU weights: the device raises with its own
    /// <c>pow</c>, the CPU with exp(β·log x) four at a time, and both are within a few ulp of the true power.
    /// </summary>
    public const double WeightTolerance = 1e-13;

    private const int Poison = -7;

    /// <summary>All three comparisons.</summary>
    public static IEnumerable<BackendComparisonResult> Run(ISelectionKernels candidate, int seed) =>
        [CompareWeights(candidate, seed), CompareUniformPicks(candidate, seed), CompareTopK(candidate, seed)];

    /// <summary>Batches of several sizes and exponents, probabilities over forty orders of magnitude with repeats.</summary>
    public static BackendComparisonResult CompareWeights(ISelectionKernels candidate, int seed)
    {
        const string name = "importance-weights";
        var random = new Random(seed);
        var exact = 0;
        var total = 0;
        var largest = 0.0;
        foreach (var n in new[] { 1, 3, 7, 256, 1000, 20_000 })
        {
            foreach (var beta in new[] { 0.0, 0.4, 1.0, 2.5 })
            {
                var probabilities = new double[n];
                for (var i = 0; i < n; i++)
                    probabilities[i] = random.Next(10) == 0 ? 1.0 : Math.Exp(-random.NextDouble() * 92);
                probabilities[random.Next(n)] = probabilities[random.Next(n)]; // a repeated value, perhaps the minimum
                var expected = new double[n];
                var actual = new double[n];
                actual.AsSpan().Fill(double.NaN);
                ImportanceWeights.Compute(probabilities, n * 3, beta, expected);
                candidate.ImportanceWeights(probabilities, n * 3, beta, actual);
                var smallest = probabilities.Min();
                for (var i = 0; i < n; i++)
                {
                    var difference = Math.Abs(actual[i] - expected[i]) / expected[i];
                    var exactOne = probabilities[i] != smallest || actual[i] == 1.0;
                    if (!(difference <= WeightTolerance) || !exactOne)
                        return new(name, false, $"n = {n}, β = {beta}: weight {i} (P = {probabilities[i]:R}) is {actual[i]:R}, expected {expected[i]:R}");
                    largest = Math.Max(largest, difference);
                    exact += BitConverter.DoubleToInt64Bits(actual[i]) == BitConverter.DoubleToInt64Bits(expected[i]) ? 1 : 0;
                }
                total += n;
            }
        }
        return new(name, true, $"{total} weights in 24 batches: {exact} bit-equal, the rest within {largest:0.0e0} relative (allowed {WeightTolerance:0e0})");
    }

    /// <summary>Slot sets of several capacities and fill levels, mirrored into a bitmap and a ranked list.</summary>
    public static BackendComparisonResult CompareUniformPicks(ISelectionKernels candidate, int seed)
    {
        const string name = "uniform-picks";
        var random = new Random(seed);
        var picks = 0;
        foreach (var capacity in new[] { 1, 64, 100, 1000, 70_000 })
        {
            foreach (var fill in new[] { 1.0, 0.5, 0.02 })
            {
                var selector = new UniformSelector(capacity);
                var held = new ulong[(capacity + 63) / 64];
                for (var s = 0; s < capacity; s++)
                {
                    if (random.NextDouble() < fill || (s == capacity - 1 && selector.Count == 0))
                    {
                        selector.Insert(s, 1.0);
                        held[s >> 6] |= 1UL << s;
                    }
                }
                var ranked = Enumerable.Range(0, capacity).Where(s => (held[s >> 6] & (1UL << s)) != 0).ToArray();
                var n = random.Next(1, 2000);
                var uniforms = new double[n];
                for (var i = 0; i < n; i++)
                    uniforms[i] = random.NextDouble();
                uniforms[0] = 0.0;
                uniforms[^1] = Math.BitDecrement(1.0);
                var expected = new int[n];
                var actual = new int[n];
                actual.AsSpan().Fill(Poison);
                selector.Select(uniforms, expected, new double[n]);
                candidate.UniformPicks(uniforms, held, ranked, capacity, actual);
                var difference = expected.AsSpan().CommonPrefixLength(actual);
                if (difference < n)
                    return new(name, false, $"capacity {capacity}, {ranked.Length} held: pick {difference} (u = {uniforms[difference]:R}) is slot {actual[difference]}, expected {expected[difference]}");
                picks += n;
            }
        }
        return new(name, true, $"{picks} picks from 15 slot sets (5 capacities up to 70,000, full to 2% held): slots equal");
    }

    /// <summary>
    /// Selectors of several capacities after random inserts, updates (which move an item behind its equals) and
    /// removals, with priorities from a few values (zero, negative zero and a negative among them), asked for up
    /// to more choices than they hold.
    /// </summary>
    public static BackendComparisonResult CompareTopK(ISelectionKernels candidate, int seed)
    {
        const string name = "top-k";
        var random = new Random(seed);
        var choices = 0;
        foreach (var capacity in new[] { 1, 9, 300, 5000, 100_000 })
        {
            var selector = new TopKSelector(capacity);
            var priorities = new double[capacity];
            var stamps = new long[capacity];
            stamps.AsSpan().Fill(-1);
            var nextStamp = 0L; // counts inserts and updates, as the selector's heap numbers them
            double[] values = [0.0, -0.0, -1.5, 0.5, 1.0, 2.0, 1e300, random.NextDouble()];
            for (var round = 0; round < 4; round++)
            {
                for (var op = 0; op < capacity * 2; op++)
                {
                    var slot = random.Next(capacity);
                    var priority = random.Next(4) == 0 ? random.NextDouble() : values[random.Next(values.Length)];
                    if (stamps[slot] < 0)
                        selector.Insert(slot, priority);
                    else if (random.Next(5) == 0)
                    {
                        selector.Remove(slot);
                        stamps[slot] = -1;
                        continue;
                    }
                    else
                        selector.Update(slot, priority);
                    priorities[slot] = priority;
                    stamps[slot] = nextStamp++;
                }
                if (selector.Count == 0)
                    continue;
                // Up to more choices than held items (the list starts again), at most a large batch (ranking is O(k²)).
                var n = random.Next(1, Math.Min(selector.Count + 6, 1024));
                var expected = new int[n];
                var actual = new int[n];
                actual.AsSpan().Fill(Poison);
                selector.Select(new double[n], expected, new double[n]);
                candidate.TopK(priorities, stamps, actual);
                var difference = expected.AsSpan().CommonPrefixLength(actual);
                if (difference < n)
                    return new(name, false, $"capacity {capacity}, round {round}, {selector.Count} held: choice {difference} of {n} is slot {actual[difference]}, expected {expected[difference]}");
                choices += n;
            }
        }
        return new(name, true, $"{choices} choices from 5 capacities up to 100,000 with tied priorities: slots equal, in order");
    }
}
