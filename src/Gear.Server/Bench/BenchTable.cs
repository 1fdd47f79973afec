using Google.Protobuf;
using Wire = Gear.Protocol.V1;

namespace Gear.Server.Bench;

/// <summary>
/// A table a workload runs against: its layout, its capacity and how it is filled before measuring. Tables are
/// larger than the last-level cache, so gathers read memory as they would on a real server.
/// </summary>
/// <param name="Name">The table's name on the server.</param>
/// <param name="Layout">The workload's step columns.</param>
/// <param name="CapacitySteps">Steps the table holds (a multiple of the 32-step page).</param>
/// <param name="Granularity">Step items (transitions) or trajectory items (long windows).</param>
/// <param name="MaxTrajectories">Trajectories the table may hold, open and closed.</param>
/// <param name="FillSteps">Steps inserted before measuring (0: none).</param>
/// <param name="TrajectorySteps">Steps per trajectory when filling (and, for inserts, when measuring).</param>
/// <param name="AppendSteps">Steps per AppendSteps message.</param>
/// <param name="WriteAheadLog">Whether the table keeps a write-ahead log (fsync policy commit).</param>
/// <param name="RateLimiter">The table's rate limiter; null for MinSize(1), which never holds a sampler back once
/// the table has an item.</param>
/// <param name="Prioritized">Prioritized sampling with DESIGN.md's α of 0.6, instead of uniform.</param>
public sealed record BenchTable(
    string Name, StepLayout Layout, int CapacitySteps, Wire.ItemGranularity Granularity, int MaxTrajectories,
    int FillSteps, int TrajectorySteps, int AppendSteps, bool WriteAheadLog = false, Wire.RateLimiterSpec? RateLimiter = null,
    bool Prioritized = false)
{
    /// <summary>α of the prioritized tables (DESIGN.md "Benchmarks").</summary>
    public const double PriorityExponent = 0.6;

    /// <summary>W1 inserts: 4,096 steps (116 MB); trajectories of 64 steps, one AppendSteps of 64 each.</summary>
    public static BenchTable W1Insert { get; } =
        new("bench-w1-insert", StepLayout.W1, 4096, Wire.ItemGranularity.Step, 1024, 0, 64, 64);

    /// <summary>W1 inserts into a table with the write-ahead log on.</summary>
    public static BenchTable W1InsertLogged { get; } = W1Insert with { Name = "bench-w1-insert-wal", WriteAheadLog = true };

    /// <summary>W1 samples: 8,192 steps (231 MB) of transitions, filled with trajectories of 256 steps.</summary>
    public static BenchTable W1Sample { get; } =
        new("bench-w1-sample", StepLayout.W1, 8192, Wire.ItemGranularity.Step, 1024, 8192, 256, 64);

    /// <summary>W4 samples: 131,072 steps of f32[256] (134 MB) in trajectories of 4,096 steps.</summary>
    public static BenchTable W4Sample { get; } =
        new("bench-w4-sample", StepLayout.W4, 131_072, Wire.ItemGranularity.Trajectory, 64, 131_072, 4096, 512);

    /// <summary>W2: 1,000,000 steps (97 MB) of transitions, filled in trajectories and appends of 1,000 steps.</summary>
    public static BenchTable W2 { get; } =
        new("bench-w2", StepLayout.W2, 1_000_000, Wire.ItemGranularity.Step, 2048, 1_000_000, 1000, 1000);

    /// <summary>
    /// The soak (<c>gear bench soak</c>): 100,000 W2 steps (9.7 MB) in trajectories of 100 steps, one AppendSteps
    /// each, sampled by priority, under a SampleToInsertRatio limiter of one sampled window per inserted step. The error buffer of
    /// 10,000 samples lets 64 actors' trajectories (100 items each) and 256-window batches interleave without
    /// each side waiting on every single call of the other, while still holding the ratio.
    /// </summary>
    public static BenchTable Soak { get; } =
        new("bench-soak", StepLayout.W2, 100_000, Wire.ItemGranularity.Step, 2048, 0, 100, 100, RateLimiter: new Wire.RateLimiterSpec
        {
            SampleToInsertRatio = new Wire.RateLimiterSpec.Types.SampleToInsertRatio { SamplesPerInsert = 1, MinSizeToSample = 1000, ErrorBuffer = 10_000 },
        }, Prioritized: true);

    /// <summary>
    /// A sample request of this table: step items place a window at the chosen step, trajectory items anywhere
    /// inside the trajectory.
    /// </summary>
    public Wire.SampleRequest SampleRequest(int batchSize, int windowLength) => new()
    {
        Table = Name,
        BatchSize = batchSize,
        WindowLength = windowLength,
        Placement = Granularity == Wire.ItemGranularity.Step ? Wire.WindowPlacement.Start : Wire.WindowPlacement.Uniform,
    };

    /// <summary>The tables a set of workloads needs, each once.</summary>
    public static IReadOnlyList<BenchTable> For(IEnumerable<BenchWorkload> workloads) =>
        [.. workloads.Select(For).Distinct()];

    /// <summary>The table a workload runs against.</summary>
    public static BenchTable For(BenchWorkload workload) => workload switch
    {
        BenchWorkload.W1Insert => W1Insert,
        BenchWorkload.W1InsertLogged => W1InsertLogged,
        BenchWorkload.W1Sample => W1Sample,
        BenchWorkload.W4Sample => W4Sample,
        BenchWorkload.W2Latency => W2,
        _ => throw new ArgumentOutOfRangeException(nameof(workload), workload, null),
    };

    /// <summary>The table's gear.v1.TableSpec: uniform or prioritized sampling, FIFO eviction, its rate limiter (by default sampling from the first item on).</summary>
    public Wire.TableSpec Spec()
    {
        var spec = new Wire.TableSpec
        {
            Name = Name,
            Columns = { Layout.Columns },
            HostCapacityBytes = (long)CapacitySteps * Layout.StepBytes,
            MaxTrajectories = MaxTrajectories,
            Granularity = Granularity,
            Sampler = Prioritized ? Wire.Selector.Prioritized : Wire.Selector.Uniform,
            Remover = Wire.Selector.Fifo,
            RateLimiter = RateLimiter ?? new Wire.RateLimiterSpec { MinSize = new Wire.RateLimiterSpec.Types.MinSize { MinSizeToSample = 1 } },
            WriteAheadLog = WriteAheadLog,
        };
        if (Prioritized)
            spec.PriorityExponent = PriorityExponent;
        return spec;
    }

    /// <summary>
    /// A <c>gear serve</c> config file holding <paramref name="tables"/> (proto-JSON TableSpecs), with write-ahead
    /// logs in <c>wal</c> beside it when a table keeps one.
    /// </summary>
    public static string ConfigJson(IEnumerable<BenchTable> tables) =>
        "{ " + (tables.Any(t => t.WriteAheadLog) ? "\"writeAheadLog\": { \"directory\": \"wal\" }, " : "") +
        "\"tables\": [" + string.Join(", ", tables.Select(t => JsonFormatter.Default.Format(t.Spec()))) + "] }";
}
