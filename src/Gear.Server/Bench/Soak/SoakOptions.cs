namespace Gear.Server.Bench.Soak;

/// <summary>
/// What one <c>gear bench soak</c> run does, and how its time divides into report intervals: a warm-up (the
/// first fifth, at least one interval), then, with idle connections, a phase with them open followed by a
/// phase without them, each half of what is left.
/// </summary>
/// <param name="Duration">The whole run, warm-up included.</param>
/// <param name="Actors">Actor InsertStreams, each on its own connection.</param>
/// <param name="Learners">Learners, each on its own connection: half read a SampleStream, the rest the TCP data plane.</param>
/// <param name="IdleConnections">Connections to the gRPC port that make one call and then stay idle (0: none).</param>
/// <param name="ReportInterval">How often the figures are taken and printed.</param>
public sealed record SoakOptions(TimeSpan Duration, int Actors, int Learners, int IdleConnections, TimeSpan ReportInterval)
{
    /// <summary>The share of the run that is warm-up: the table fills, pages are first touched, the JIT settles.</summary>
    public const double WarmupFraction = 0.2;

    /// <summary>The longest run accepted: a day.</summary>
    public const double MaxSeconds = 86_400;

    /// <summary>Report intervals in the run.</summary>
    public int Intervals => Math.Max(1, (int)Math.Round(Duration / ReportInterval));

    /// <summary>Intervals that are warm-up, excluded from the memory and idle-connection comparisons.</summary>
    public int WarmupIntervals => Math.Max(1, (int)Math.Ceiling(Intervals * WarmupFraction));

    /// <summary>Intervals after the warm-up with the idle connections open (0 without idle connections).</summary>
    public int IdleIntervals => IdleConnections == 0 ? 0 : (Intervals - WarmupIntervals) / 2;

    /// <summary>Learners that read a SampleStream over gRPC; the others use the data plane.</summary>
    public int StreamLearners => (Learners + 1) / 2;

    /// <summary>Learners that read batches over the TCP data plane.</summary>
    public int DataPlaneLearners => Learners - StreamLearners;

    /// <summary>The phase of interval <paramref name="index"/> (0-based).</summary>
    public string Phase(int index) =>
        index < WarmupIntervals ? SoakPhases.Warmup
        : index < WarmupIntervals + IdleIntervals ? SoakPhases.IdleConnections
        : SoakPhases.Load;

    /// <summary>Why these counts and times cannot run, or null when they can (the command has checked each time is positive).</summary>
    public string? Problem()
    {
        if (Actors is < 1 or > 10_000)
            return $"--actors {Actors} must be between 1 and 10000";
        if (Learners is < 1 or > 1_000)
            return $"--learners {Learners} must be between 1 and 1000";
        if (IdleConnections is < 0 or > 100_000)
            return $"--idle-connections {IdleConnections} must be between 0 and 100000";
        // After the warm-up, every phase needs an interval of its own to be compared.
        var needed = IdleConnections == 0 ? 2 : 3;
        return Intervals < needed
            ? $"--duration {Duration.TotalSeconds} s holds {Intervals} report intervals of {ReportInterval.TotalSeconds} s; at least {needed} are needed"
            : null;
    }
}

/// <summary>The names of the soak's phases, as the report prints them.</summary>
public static class SoakPhases
{
    /// <summary>Not judged for memory or throughput.</summary>
    public const string Warmup = "warm-up";

    /// <summary>The load plus the idle connections.</summary>
    public const string IdleConnections = "idle";

    /// <summary>The load alone.</summary>
    public const string Load = "load";
}
