using Gear.Core.Selection;

namespace Gear.Core.Compute;

/// <summary>
/// Checks a device backend's selection against the CPU's selectors on random inputs from a seed: importance weights
/// against <see cref="ImportanceWeights"/> (within <see cref="WeightTolerance"/> relative, exactly 1 for the batch's
/// least likely items); and the selectors a table samples with on the device
/// (<see cref="IComputeBackend.SamplingSelector"/>: uniform and top-k, whose state lives in device copies) against
/// the same CPU selectors given the same inserts, runs, updates, removals and clears between selections, so that the
/// device copies must follow every change; slots index-equal, probabilities bit-equal. Outputs are poisoned first,
/// so that an unwritten element shows. Part of <see cref="BackendComparison.Run"/> for device backends.
/// </summary>
internal static class SelectionComparison
{
    /// <summary>
    /// The largest relative difference allowed between device and CPU weights: the device raises with its own
    /// <c>pow</c>, the CPU with exp(β·log x) four at a time, and both are within a few ulp of the true power.
    /// </summary>
    public const double WeightTolerance = 1e-13;

    private const int Poison = -7;

    /// <summary>All three comparisons for <paramref name="candidate"/>.</summary>
    public static IEnumerable<BackendComparisonResult> Run(Cuda.DeviceBackend candidate, int seed) =>
    [
        CompareWeights(candidate.Selection, seed),
        CompareUniformPicks(capacity => ((IComputeBackend)candidate).SamplingSelector(new UniformSelector(capacity)), seed),
        CompareTopK(capacity => ((IComputeBackend)candidate).SamplingSelector(new TopKSelector(capacity)), seed),
    ];

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

    /// <summary>
    /// Selectors of several capacities through rounds of changes (single inserts and removals, runs of both, a
    /// clear), many in some rounds and few in others, each round ending in a selection from up to 2,000 uniforms.
    /// </summary>
    public static BackendComparisonResult CompareUniformPicks(Func<int, IItemSelector> candidateFor, int seed)
    {
        const string name = "uniform-picks";
        var random = new Random(seed);
        var picks = 0;
        foreach (var capacity in new[] { 1, 64, 100, 1000, 70_000 })
        {
            var expected = new UniformSelector(capacity);
            var actual = candidateFor(capacity);
            try
            {
                for (var round = 0; round < 6; round++)
                {
                    if (round == 4)
                    {
                        expected.Clear();
                        actual.Clear();
                    }
                    var changes = round % 2 == 0 ? capacity * 2 : capacity / 50 + 1;
                    for (var change = 0; change < changes; change++)
                        ChangeSlots(random, capacity, expected, actual);
                    if (expected.Count == 0)
                    {
                        expected.Insert(capacity - 1, 1.0);
                        actual.Insert(capacity - 1, 1.0);
                    }
                    var n = random.Next(1, 2000);
                    var uniforms = new double[n];
                    for (var i = 0; i < n; i++)
                        uniforms[i] = random.NextDouble();
                    uniforms[0] = 0.0;
                    uniforms[^1] = Math.BitDecrement(1.0);
                    if (Differs(expected, actual, uniforms) is { } difference)
                        return new(name, false, $"capacity {capacity}, round {round}, {expected.Count} held: {difference}");
                    picks += n;
                }
            }
            finally
            {
                (actual as IDisposable)?.Dispose();
            }
        }
        return new(name, true, $"{picks} picks from 5 capacities up to 70,000 over 6 rounds of inserts, removals, runs and a clear each: slots equal");
    }

    /// <summary>
    /// Selectors of several capacities after random inserts, updates (which move an item behind its equals, single
    /// and batched) and removals, and a clear, with priorities from a few values (zero, negative zero and a negative
    /// among them), asked for up to more choices than they hold.
    /// </summary>
    public static BackendComparisonResult CompareTopK(Func<int, IItemSelector> candidateFor, int seed)
    {
        const string name = "top-k";
        var random = new Random(seed);
        var choices = 0;
        foreach (var capacity in new[] { 1, 9, 300, 5000, 100_000 })
        {
            IItemSelector expected = new TopKSelector(capacity);
            var actual = candidateFor(capacity);
            var held = new bool[capacity];
            double[] values = [0.0, -0.0, -1.5, 0.5, 1.0, 2.0, 1e300, random.NextDouble()];
            try
            {
                for (var round = 0; round < 5; round++)
                {
                    if (round == 3)
                    {
                        expected.Clear();
                        actual.Clear();
                        Array.Clear(held);
                    }
                    var changes = round % 2 == 0 ? capacity * 2 : capacity / 50 + 1;
                    for (var op = 0; op < changes; op++)
                    {
                        var slot = random.Next(capacity);
                        var priority = random.Next(4) == 0 ? random.NextDouble() : values[random.Next(values.Length)];
                        if (!held[slot])
                        {
                            expected.Insert(slot, priority);
                            actual.Insert(slot, priority);
                            held[slot] = true;
                        }
                        else if (random.Next(5) == 0)
                        {
                            expected.Remove(slot);
                            actual.Remove(slot);
                            held[slot] = false;
                        }
                        else if (random.Next(2) == 0)
                        {
                            expected.Update(slot, priority);
                            actual.Update(slot, priority);
                        }
                        else
                        {
                            // A batch that repeats the slot: the last priority wins and each update moves it behind its equals.
                            int[] slots = [slot, slot];
                            double[] priorities = [priority, values[random.Next(values.Length)]];
                            expected.UpdateBatch(slots, priorities);
                            actual.UpdateBatch(slots, priorities);
                        }
                    }
                    if (expected.Count == 0)
                        continue;
                    // Up to more choices than held items (the list starts again), at most a large batch (ranking is O(k²)).
                    var n = random.Next(1, Math.Min(expected.Count + 6, 1024));
                    if (Differs(expected, actual, new double[n]) is { } difference)
                        return new(name, false, $"capacity {capacity}, round {round}, {expected.Count} held: {difference}");
                    choices += n;
                }
            }
            finally
            {
                (actual as IDisposable)?.Dispose();
            }
        }
        return new(name, true, $"{choices} choices from 5 capacities up to 100,000 with tied priorities over 5 rounds of changes and a clear: slots equal, in order");
    }

    /// <summary>One random change to both selectors: an insert or removal of one slot, or of a run of up to 70.</summary>
    private static void ChangeSlots(Random random, int capacity, UniformSelector expected, IItemSelector actual)
    {
        var first = random.Next(capacity);
        var slots = expected.Slots;
        var holding = slots.Contains(first);
        var count = 1;
        if (random.Next(8) == 0)
        {
            while (count < 70 && first + count < capacity && slots.Contains(first + count) == holding)
                count++;
        }
        if (holding)
        {
            expected.RemoveRun(first, count);
            actual.RemoveRun(first, count);
        }
        else if (count == 1)
        {
            expected.Insert(first, 1.0);
            actual.Insert(first, 1.0);
        }
        else
        {
            var priorities = new double[count];
            expected.InsertRun(first, priorities);
            actual.InsertRun(first, priorities);
        }
    }

    /// <summary>Selects with the same uniforms from both; the first difference in slots or probabilities, or null.</summary>
    private static string? Differs(IItemSelector expected, IItemSelector actual, double[] uniforms)
    {
        var n = uniforms.Length;
        var expectedSlots = new int[n];
        var actualSlots = new int[n];
        var expectedProbabilities = new double[n];
        var actualProbabilities = new double[n];
        actualSlots.AsSpan().Fill(Poison);
        actualProbabilities.AsSpan().Fill(double.NaN);
        expected.Select(uniforms, expectedSlots, expectedProbabilities);
        actual.Select(uniforms, actualSlots, actualProbabilities);
        var slot = expectedSlots.AsSpan().CommonPrefixLength(actualSlots);
        if (slot < n)
            return $"choice {slot} of {n} (u = {uniforms[slot]:R}) is slot {actualSlots[slot]}, expected {expectedSlots[slot]}";
        for (var i = 0; i < n; i++)
        {
            if (BitConverter.DoubleToInt64Bits(expectedProbabilities[i]) != BitConverter.DoubleToInt64Bits(actualProbabilities[i]))
                return $"choice {i} of {n} has probability {actualProbabilities[i]:R}, expected {expectedProbabilities[i]:R}";
        }
        return null;
    }
}
