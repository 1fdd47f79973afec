using Gear.Core.Compute.Cpu;
using Gear.Core.Compute.Cuda;
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
/// of the uniform and top-k selectors' state, weights by kernel) and its gathers; queued, it samples each round
/// twice into device memory (<see cref="DeviceBatch.SampleQueuedAsync"/>) before waiting for either gather, so that
/// the second selection runs while the first gather is queued. Part of <see cref="BackendComparison.Run"/>.
/// </summary>
internal static class TableComparison
{
    private static readonly ColumnSpec[] Columns = [new("obs", DType.F32, 5), new("flag", DType.U8)];
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The tables' histories, each through 40 rounds of changes and samples; with <paramref name="queued"/>
    /// (<paramref name="candidate"/> a device backend), two queued samples a round.
    /// </summary>
    public static BackendComparisonResult Compare(IComputeBackend candidate, int seed, bool queued = false)
    {
        var name = queued ? "queued-table-sampling" : "table-sampling";
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
            var (problem, compared) = queued
                ? QueuedHistory(new Random(seed), expectedTable, actualTable, candidate)
                : PlainHistory(new Random(seed), expectedTable, actualTable);
            if (problem is not null)
                return new(name, false, $"{spec.Name}: {problem}");
            batches += compared;
        }
        var into = queued ? " (into device memory, two queued before either was waited for)" : "";
        return new(name, true, $"{batches} batches{into} from 6 tables (uniform, prioritized, top-k; trajectory and step items) under inserts, evictions, deletes, priority updates and max_times_sampled: keys, starts, probabilities and bytes equal, weights within {SelectionComparison.WeightTolerance:0e0}");
    }

    /// <summary>
    /// Samples both tables alike (one batch or more) and compares them: the first difference from the reference's, if
    /// any, the keys sampled and the batches compared.
    /// </summary>
    private delegate (string? Difference, ulong[] Sampled, int Batches) SampleAndCompare(SampleRequest request, ulong stream);

    /// <summary>One sample a round, gathered before it returns.</summary>
    private static (string? Problem, int Batches) PlainHistory(Random random, Table expectedTable, Table actualTable)
    {
        using var expected = new WindowBatch(Columns, 24, 6);
        using var actual = new WindowBatch(Columns, 24, 6);
        return History(random, [expectedTable, actualTable], (request, stream) =>
        {
            expectedTable.Sample(request, new RandomStream(stream), expected, Timeout);
            actualTable.Sample(request, new RandomStream(stream), actual, Timeout);
            return (BatchDifference(expected, actual), expected.Keys.ToArray(), 1);
        });
    }

    /// <summary>Two samples a round into device memory, both queued before either gather is waited for.</summary>
    private static (string? Problem, int Batches) QueuedHistory(Random random, Table expectedTable, Table actualTable, IComputeBackend candidate)
    {
        WindowBatch[] expected = [new(Columns, 24, 6), new(Columns, 24, 6)];
        DeviceBatch[] actual = [DeviceBatch.Create(candidate, Columns, 24, 6), DeviceBatch.Create(candidate, Columns, 24, 6)];
        try
        {
            return History(random, [expectedTable, actualTable], (request, stream) =>
            {
                expectedTable.Sample(request, new RandomStream(stream), expected[0], Timeout);
                // A second sample only where the first left items to sample (max_times_sampled retires them); both
                // are queued before either is waited for, so the second selection runs while the first gather is queued.
                var count = expectedTable.GetInfo().ItemCount > 0 ? 2 : 1;
                if (count == 2)
                    expectedTable.Sample(request, new RandomStream(stream + 1), expected[1], Timeout);
                for (var i = 0; i < count; i++)
                    actual[i].SampleQueuedAsync(actualTable, request, new RandomStream(stream + (ulong)i), Timeout).AsTask().GetAwaiter().GetResult();
                string? difference = null;
                var sampled = new List<ulong>();
                for (var i = 0; i < count; i++)
                {
                    actual[i].WaitForSample();
                    difference ??= DeviceBatchDifference(expected[i], actual[i]);
                    sampled.AddRange(expected[i].Keys);
                }
                return (difference, sampled.ToArray(), count);
            });
        }
        finally
        {
            foreach (var batch in actual)
                batch.Dispose();
            foreach (var batch in expected)
                batch.Dispose();
        }
    }

    /// <summary>
    /// 40 rounds of inserts (evicting once the table is full), a delete every fifth round, a sample of both tables
    /// compared by <paramref name="sample"/>, and new priorities for what was sampled; the first difference, or null.
    /// </summary>
    private static (string? Problem, int Batches) History(Random random, Table[] both, SampleAndCompare sample)
    {
        var keys = new List<ulong>();
        var batches = 0;
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
            var (difference, sampled, compared) = sample(request, (ulong)random.NextInt64());
            if (difference is not null)
                return ($"round {round}: {difference}", batches);
            batches += compared;
            // New priorities for what was sampled, as a learner sends them (keys already evicted are ignored alike).
            var priorities = sampled.Select(_ => random.NextDouble() * 10).ToArray();
            foreach (var table in both)
                table.UpdatePriorities(sampled, priorities);
        }
        return (null, batches);
    }

    /// <summary>
    /// <see cref="BatchDifference"/> for a batch gathered into device memory (it has no host columns): its device
    /// outputs and mask are copied back to be compared with the reference's.
    /// </summary>
    private static string? DeviceBatchDifference(WindowBatch expected, DeviceBatch actual)
    {
        if (WindowDifference(expected, actual.Windows) is { } difference)
            return difference; // before the copies, which are sized by the reference's count
        var mask = new bool[expected.Mask.Length];
        actual.CopyMaskToHost(mask);
        return OutputDifference(expected, c =>
        {
            var copied = new byte[expected.Column(c).Length];
            actual.CopyColumnToHost(c, copied);
            return copied;
        }, mask, "device mask");
    }

    private static string? BatchDifference(WindowBatch expected, WindowBatch actual) =>
        WindowDifference(expected, actual) ?? OutputDifference(expected, c => actual.Column(c).ToArray(), actual.Mask.ToArray(), "mask");

    /// <summary>Where the gathered columns (<paramref name="column"/>) or the mask first differ from the reference's, or null.</summary>
    private static string? OutputDifference(WindowBatch expected, Func<int, byte[]> column, bool[] mask, string maskName)
    {
        for (var c = 0; c < Columns.Length; c++)
        {
            if (!expected.Column(c).SequenceEqual(column(c)))
                return $"column '{Columns[c].Name}' differs";
        }
        return expected.Mask.SequenceEqual(mask) ? null : $"the {maskName} differs";
    }

    /// <summary>Where the windows' count, keys, starts, probabilities or weights first differ, or null.</summary>
    private static string? WindowDifference(WindowBatch expected, WindowBatch actual)
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
        return null;
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }
}
