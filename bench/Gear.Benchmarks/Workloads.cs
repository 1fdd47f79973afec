using Gear.Core.Compute.Cpu;
using Gear.Core.RateLimiting;
using Gear.Core.Schema;
using Gear.Core.Selection;
using Gear.Core.Tables;

namespace Gear.Benchmarks;

/// <summary>The standard workloads of the design (W1–W4): table specs and how to fill them.</summary>
internal static class Workloads
{
    /// <summary>W1 Atari transitions: 28,233-byte steps, 100,000 steps of capacity, step items.</summary>
    public static readonly ColumnSpec[] AtariColumns =
        [new("obs", DType.U8, 4, 84, 84), new("action", DType.I32), new("reward", DType.F32), new("done", DType.Bool)];

    /// <summary>W2 MuJoCo transitions: 97-byte steps, 1,000,000 steps of capacity, step items.</summary>
    public static readonly ColumnSpec[] MujocoColumns =
        [new("obs", DType.F32, 17), new("action", DType.F32, 6), new("reward", DType.F32), new("done", DType.Bool)];

    /// <summary>W4 long windows: one f32[256] column.</summary>
    public static readonly ColumnSpec[] LongColumns = [new("x", DType.F32, 256)];

    public static TableSpec Atari(SelectorKind sampler) => Spec("w1", AtariColumns, 100_000, 16, ItemGranularity.Step, sampler);

    // Page sizes aim at tens of KiB per column page: 16 Atari steps (450 KB of frames), 256 MuJoCo steps
    // (17 KB of observations), 64 steps of f32[256] (64 KB). Smaller pages would make more windows cross a
    // page edge (the slower, two-run path) for no gain.
    public static TableSpec Mujoco(SelectorKind sampler) => Spec("w2", MujocoColumns, 1_000_000, 256, ItemGranularity.Step, sampler);

    public static TableSpec DecisionTransformer() => Spec("w3", MujocoColumns, 1_000_000, 256, ItemGranularity.Trajectory, SelectorKind.Uniform);

    public static TableSpec LongWindows() => Spec("w4", LongColumns, 512 * 1024, 64, ItemGranularity.Trajectory, SelectorKind.Uniform);

    private static TableSpec Spec(string name, ColumnSpec[] columns, long steps, int pageSteps, ItemGranularity granularity, SelectorKind sampler) => new()
    {
        Name = name,
        Columns = columns,
        PageSteps = pageSteps,
        HostCapacityBytes = steps * columns.Sum(c => c.StepBytes),
        MaxTrajectories = 4096,
        Granularity = granularity,
        Sampler = sampler,
        Remover = SelectorKind.Fifo,
        PriorityExponent = 0.6,
        RateLimiter = RateLimiterSpec.MinSize(1),
    };

    /// <summary>
    /// Fills a table to capacity with trajectories of <paramref name="trajectoryLength"/> random steps,
    /// appended <paramref name="chunk"/> steps at a time (and so touches every page of the arena once).
    /// </summary>
    public static Table CreateFilled(TableSpec spec, CpuBackend backend, int trajectoryLength, int chunk)
    {
        var table = new Table(spec, backend);
        var steps = RandomSteps(spec.Columns, chunk, seed: 1);
        var capacitySteps = spec.Validate().PageCount * (long)spec.PageSteps;
        var random = new Random(2);
        for (long filled = 0; filled < capacitySteps; filled += trajectoryLength)
        {
            var key = table.OpenTrajectory();
            for (var done = 0; done < trajectoryLength; done += chunk)
                table.Append(key, chunk, steps);
            table.Close(key, 0.1 + random.NextDouble());
        }
        return table;
    }

    /// <summary>One buffer per column holding <paramref name="steps"/> random steps.</summary>
    public static ReadOnlyMemory<byte>[] RandomSteps(IReadOnlyList<ColumnSpec> columns, int steps, int seed)
    {
        var random = new Random(seed);
        return columns.Select(c =>
        {
            var buffer = new byte[steps * c.StepBytes];
            random.NextBytes(buffer);
            return (ReadOnlyMemory<byte>)buffer;
        }).ToArray();
    }
}
