namespace Gear.Server.Bench;

/// <summary>The service workloads <c>gear bench</c> runs (DESIGN.md "Benchmarks", W5 on loopback).</summary>
public enum BenchWorkload
{
    /// <summary>W1 steps inserted by concurrent actor InsertStreams.</summary>
    W1Insert,

    /// <summary>The same inserts into a table with the write-ahead log on (fsync policy commit, group commit).</summary>
    W1InsertLogged,

    /// <summary>W1 transitions (256 windows of 1 step) streamed to one learner by SampleStream.</summary>
    W1Sample,

    /// <summary>W4 long windows (32 windows of 512 steps of f32[256]) streamed to one learner by SampleStream.</summary>
    W4Sample,

    /// <summary>Latency of unary W2 Sample calls (256 transitions) at 1 and 8 concurrent learners.</summary>
    W2Latency,
}

/// <summary>The command-line names of <see cref="BenchWorkload"/>.</summary>
public static class BenchWorkloadNames
{
    /// <summary>The name that selects every workload.</summary>
    public const string All = "all";

    /// <summary>Every workload in the order they run.</summary>
    public static IReadOnlyList<BenchWorkload> Every { get; } = Enum.GetValues<BenchWorkload>();

    /// <summary>Every accepted name, for help and errors.</summary>
    public static IReadOnlyList<string> Accepted { get; } = [.. Every.Select(Name), All];

    /// <summary>The command-line name: "w1-insert", "w1-insert-wal", "w1-sample", "w4-sample", "w2-latency".</summary>
    public static string Name(BenchWorkload workload) => workload switch
    {
        BenchWorkload.W1Insert => "w1-insert",
        BenchWorkload.W1InsertLogged => "w1-insert-wal",
        BenchWorkload.W1Sample => "w1-sample",
        BenchWorkload.W4Sample => "w4-sample",
        BenchWorkload.W2Latency => "w2-latency",
        _ => throw new ArgumentOutOfRangeException(nameof(workload), workload, null),
    };

    /// <summary>The workloads a name selects; null for an unknown name.</summary>
    public static IReadOnlyList<BenchWorkload>? Parse(string name) =>
        name == All ? Every : Every.Where(w => Name(w) == name).ToArray() is { Length: 1 } one ? one : null;
}
