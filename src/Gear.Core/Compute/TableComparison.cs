using Gear.Core.Compute.Cpu;
using Gear.Core.RateLimiting;
using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Selection;
using Gear.Core.Tables;

namespace Gear.Core.Compute;

/// <summary>
/// Whole tables on a candidate backend against the same tables on the CPU backend, given the same inserts (which
/// evict once the table is full), deletes, priority updates and random streams: uniform, prioritized and top-k
/// samplers, trajectory and step items (whose items come and go as runs of slots), with max_times_sampled retiring
/// items in the middle of batches. Every batch must have the same keys, starts and probabilities (bit-equal),
/// importance weights within <see cref="SelectionComparison.WeightTolerance"/> relative, and the same bytes and
/// mask. On a device backend this runs the selection the tables really use there (device sum tree, device copies
/// of the uniform and top-k selectors' state, weights by kernel) and its gathers. Part of
/// <see cref="BackendComparison.Run"/>.
/// </summary>
internal static class TableComparison
{
    private static readonly ColumnSpec[] Columns = [new("obs", DType.F32, 5), new("flag", DType.U8)];

    /// <summary>The tables' histories, each through 40 rounds of changes and samples.</summary>
    public static BackendComparisonResult Compare(IComputeBackend candidate, int seed)
    {
        const string name = "table-sampling";
        var batches = 0;
        (SelectorKind Sampler, ItemGranularity Items, int MaxTimesSampled)[] tables =
        [
            (SelectorKind.Uniform, ItemGranularity.Trajectory, 0),
            (SelectorKind.Uniform, ItemGranularity.Step, 3),
            (SelectorKind.Prioritized, ItemGranularity.Trajectory, 0),
            (SelectorKind.Prioritized, ItemGranularity.Step, 2),
            (SelectorKind.TopK, ItemGranularity.Trajectory, 0),
            (SelectorKind.TopK, ItemGranularity.Step, 1),
        ];
        using var reference = new CpuBackend();
        foreach (var (sampler, items, maxTimesSampled) in tables)
        {
            var spec = new TableSpec
            {
                Name = $"{sampler}-{items}",
                Columns = Columns,
                PageSteps = 8,
                HostCapacityBytes = 21L * 8 * 48,
                DeviceCapacityBytes = 21L * 8 * 16, // a third of the pages in the device tier
                MaxTrajectories = 24,
                Sampler = sampler,
                Granularity = items,
                MaxTimesSampled = maxTimesSampled,
                PriorityExponent = 0.6,
                RateLimiter = RateLimiterSpec.MinSize(1),
            };
            using var expectedTable = new Table(spec, reference);
            using var actualTable = new Table(spec, candidate);
            if (History(new Random(seed), expectedTable, actualTable) is { } problem)
                return new(name, false, $"{spec.Name}: {problem}");
            batches += 40;
        }
        return new(name, true, $"{batches} batches from 6 tables (uniform, prioritized, top-k; trajectory and step items) under inserts, evictions, deletes, priority updates and max_times_sampled: keys, starts, probabilities and bytes equal, weights within {SelectionComparison.WeightTolerance:0e0}");
    }

    private static string? History(Random random, Table expectedTable, Table actualTable)
    {
        Table[] both = [expectedTable, actualTable];
        var keys = new List<ulong>();
        using var expected = new WindowBatch(Columns, 24, 6);
        using var actual = new WindowBatch(Columns, 24, 6);
        for (var round = 0; round < 40; round++)
        {
            for (var t = random.Next(1, 5); t > 0; t--)
            {
                var length = random.Next(1, 30);
                var data = Columns.Select(c => (ReadOnlyMemory<byte>)RandomBytes(random, length * c.StepBytes)).ToArray();
                var priority = random.Next(4) == 0 ? 1.0 : random.NextDouble() * 10; // ties for top-k
                ulong key = 0;
                foreach (var table in both)
                {
                    key = table.OpenTrajectory();
                    table.Append(key, length, data);
                    table.Close(key, priority);
                }
                keys.Add(key);
            }
            if (round % 5 == 4 && keys.Count > 0)
            {
                ulong[] victim = [keys[random.Next(keys.Count)]];
                foreach (var table in both)
                    table.Delete(victim);
            }
            var request = new SampleRequest(random.Next(1, 25), 6, WindowPlacement.EndAnchored, ImportanceExponent: 0.4);
            var stream = (ulong)random.NextInt64();
            expectedTable.Sample(request, new RandomStream(stream), expected, TimeSpan.FromSeconds(10));
            actualTable.Sample(request, new RandomStream(stream), actual, TimeSpan.FromSeconds(10));
            if (BatchDifference(expected, actual) is { } difference)
                return $"round {round}: {difference}";
            // New priorities for what was sampled, as a learner sends them (keys already evicted are ignored alike).
            var sampled = expected.Keys.ToArray();
            var priorities = sampled.Select(_ => random.NextDouble() * 10).ToArray();
            foreach (var table in both)
                table.UpdatePriorities(sampled, priorities);
        }
        return null;
    }

    private static string? BatchDifference(WindowBatch expected, WindowBatch actual)
    {
        if (expected.Count != actual.Count)
            return $"{actual.Count} windows, expected {expected.Count}";
        for (var w = 0; w < expected.Count; w++)
        {
            if (expected.Keys[w] != actual.Keys[w] || expected.StartSteps[w] != actual.StartSteps[w])
                return $"window {w} is key {actual.Keys[w]} from step {actual.StartSteps[w]}, expected key {expected.Keys[w]} from step {expected.StartSteps[w]}";
            if (BitConverter.DoubleToInt64Bits(expected.Probabilities[w]) != BitConverter.DoubleToInt64Bits(actual.Probabilities[w]))
                return $"window {w} has probability {actual.Probabilities[w]:R}, expected {expected.Probabilities[w]:R}";
            if (!(Math.Abs(actual.ImportanceWeights[w] - expected.ImportanceWeights[w]) <= SelectionComparison.WeightTolerance * expected.ImportanceWeights[w]))
                return $"window {w} has weight {actual.ImportanceWeights[w]:R}, expected {expected.ImportanceWeights[w]:R}";
        }
        for (var c = 0; c < Columns.Length; c++)
        {
            if (!expected.Column(c).SequenceEqual(actual.Column(c)))
                return $"column '{Columns[c].Name}' differs";
        }
        return expected.Mask.SequenceEqual(actual.Mask) ? null : "the mask differs";
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }
}
