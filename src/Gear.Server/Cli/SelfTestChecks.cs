using Gear.Core.Compute.Cpu;
using Gear.Core.RateLimiting;
using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Selection;
using Gear.Core.Tables;

namespace Gear.Server.Cli;

/// <summary>One self-test check: a name and a run that says whether it passed and what it saw.</summary>
public sealed record SelfTestCheck(string Name, Func<int, (bool Passed, string Detail)> Run);

/// <summary>The checks of <c>gear selftest</c>, each against an exact reference computed here.</summary>
public static class SelfTestChecks
{
    /// <summary>Every check, in the order they run.</summary>
    public static IReadOnlyList<SelfTestCheck> All { get; } =
    [
        new("gather", GatherMatchesReference),
        new("prioritized-selection", PrioritizedSelectionMatchesDistribution),
    ];

    /// <summary>
    /// Windows of every placement, from trajectories that cross page boundaries, over columns of several dtypes,
    /// compared byte for byte (and the mask, and zero padding) with the appended steps.
    /// </summary>
    private static (bool, string) GatherMatchesReference(int seed)
    {
        ColumnSpec[] columns = [new("obs", DType.F32, 3), new("pixels", DType.U8, 5), new("step", DType.I64), new("done", DType.Bool)];
        var random = new Random(seed);
        using var backend = new CpuBackend(gatherThreads: 2);
        using var table = new Table(Spec("gather", columns, SelectorKind.Uniform), backend);
        var reference = new Dictionary<ulong, byte[][]>(); // trajectory key → per column, all steps
        for (var t = 0; t < 24; t++)
        {
            var length = random.Next(1, 40);
            var key = table.OpenTrajectory();
            var data = columns.Select(c => RandomBytes(random, length * c.StepBytes)).ToArray();
            table.Append(key, length, data.Select(d => (ReadOnlyMemory<byte>)d).ToArray());
            table.Close(key, 1.0);
            reference[key] = data;
        }
        var windows = 0;
        foreach (var placement in Enum.GetValues<WindowPlacement>())
        {
            foreach (var windowLength in new[] { 1, 7, 33 })
            {
                using var batch = new WindowBatch(columns, 64, windowLength);
                table.Sample(new SampleRequest(64, windowLength, placement), new RandomStream((ulong)seed), batch, TimeSpan.FromSeconds(10));
                if (Mismatch(batch, columns, reference) is { } problem)
                    return (false, $"{placement}, L = {windowLength}: {problem}");
                windows += batch.Count;
            }
        }
        return (true, $"{windows} windows of 3 placements and 3 lengths equal the appended bytes");
    }

    /// <summary>
    /// Prioritized selection (α = 0.6) against p^α / Σ p^α: every reported probability exact, and the
    /// frequencies of 100,000 draws within a chi-square bound.
    /// </summary>
    private static (bool, string) PrioritizedSelectionMatchesDistribution(int seed)
    {
        const double alpha = 0.6;
        ColumnSpec[] columns = [new("x", DType.F32)];
        using var backend = new CpuBackend();
        using var table = new Table(Spec("prioritized", columns, SelectorKind.Prioritized, alpha), backend);
        var expected = new Dictionary<ulong, double>();
        for (var i = 0; i < 20; i++)
        {
            var key = table.OpenTrajectory();
            table.Append(key, 1, [new byte[4]]);
            var priority = 1.0 + i * i;
            table.Close(key, priority);
            expected[key] = Math.Pow(priority, alpha);
        }
        var total = expected.Values.Sum();
        var counts = expected.Keys.ToDictionary(k => k, _ => 0);
        var random = new RandomStream((ulong)seed);
        using var batch = new WindowBatch(columns, 1000, 1);
        for (var b = 0; b < 100; b++)
        {
            table.Sample(new SampleRequest(1000, 1), random, batch, TimeSpan.FromSeconds(10));
            for (var w = 0; w < batch.Count; w++)
            {
                var key = batch.Keys[w];
                counts[key]++;
                if (Math.Abs(batch.Probabilities[w] - expected[key] / total) > 1e-9)
                    return (false, $"item {key} reported probability {batch.Probabilities[w]}, expected {expected[key] / total}");
            }
        }
        const double draws = 100_000;
        var chiSquare = expected.Sum(e => Math.Pow(counts[e.Key] - draws * e.Value / total, 2) / (draws * e.Value / total));
        // 19 degrees of freedom: the 0.1% critical value is 43.8.
        return (chiSquare < 43.8, $"chi-square {chiSquare:F1} over 19 degrees of freedom (critical 43.8 at 0.1%), probabilities exact");
    }

    private static string? Mismatch(WindowBatch batch, ColumnSpec[] columns, Dictionary<ulong, byte[][]> reference)
    {
        var length = batch.WindowLength;
        for (var w = 0; w < batch.Count; w++)
        {
            var steps = reference[batch.TrajectoryKeys[w]];
            var trajectoryLength = steps[0].Length / columns[0].StepBytes;
            for (var t = 0; t < length; t++)
            {
                var step = batch.StartSteps[w] + t;
                var valid = step >= 0 && step < trajectoryLength;
                if (batch.Mask[w * length + t] != valid)
                    return $"window {w} position {t}: mask {batch.Mask[w * length + t]}, expected {valid}";
                for (var c = 0; c < columns.Length; c++)
                {
                    var size = columns[c].StepBytes;
                    var actual = batch.Column(c).Slice((w * length + t) * size, size);
                    var equal = valid ? actual.SequenceEqual(steps[c].AsSpan(step * size, size)) : actual.IndexOfAnyExcept((byte)0) < 0;
                    if (!equal)
                        return $"window {w} position {t} column '{columns[c].Name}' differs from the {(valid ? "appended step" : "zero padding")}";
                }
            }
        }
        return null;
    }

    private static TableSpec Spec(string name, ColumnSpec[] columns, SelectorKind sampler, double alpha = 1.0) => new()
    {
        Name = name,
        Columns = columns,
        // Small pages, so that windows cross page boundaries.
        PageSteps = 4,
        HostCapacityBytes = columns.Sum(c => (long)c.StepBytes) * 4 * 512,
        MaxTrajectories = 64,
        Sampler = sampler,
        PriorityExponent = alpha,
        RateLimiter = RateLimiterSpec.MinSize(1),
    };

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }
}
