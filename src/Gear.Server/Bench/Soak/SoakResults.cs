namespace Gear.Server.Bench.Soak;

/// <summary>The figures of one report interval of a soak.</summary>
/// <param name="Index">0-based.</param>
/// <param name="EndSeconds">Seconds since the load started, at the end of the interval.</param>
/// <param name="Seconds">The interval's measured length.</param>
/// <param name="Phase">"warm-up", "idle" (the load plus the idle connections) or "load" (<see cref="SoakPhases"/>).</param>
/// <param name="InsertStepsPerSecond">Steps (the table's items) acknowledged per second.</param>
/// <param name="InsertBytesPerSecond">Step bytes acknowledged per second.</param>
/// <param name="InsertAck">Time from End sent to TrajectoryCommitted received, per trajectory.</param>
/// <param name="SampleWindowsPerSecond">Windows received by the learners per second.</param>
/// <param name="SampleBytesPerSecond">Step bytes received by the learners per second.</param>
/// <param name="SampleBatch">Time a learner waited for each batch.</param>
/// <param name="Errors">Errors during the interval.</param>
/// <param name="ServerRssBytes">The server's resident memory at the end of the interval.</param>
/// <param name="GrpcConnections">Connections open to the server's gRPC port at the end of the interval.</param>
/// <param name="Limiter">The rate limiter at the end of the interval.</param>
/// <param name="SamplesPerInsert">Windows sampled per item inserted during the interval, as the limiter counted them (0 when nothing was inserted).</param>
public sealed record SoakInterval(
    int Index, double EndSeconds, double Seconds, string Phase,
    double InsertStepsPerSecond, double InsertBytesPerSecond, LatencySummary InsertAck,
    double SampleWindowsPerSecond, double SampleBytesPerSecond, LatencySummary SampleBatch,
    long Errors, long ServerRssBytes, long GrpcConnections, LimiterState Limiter, double SamplesPerInsert);

/// <summary>One verdict of a soak, with the numbers it was judged on.</summary>
/// <param name="Name">"errors", "memory", "rate-limiter", "idle-connections", "idle-throughput".</param>
/// <param name="Passed">Whether the check holds.</param>
/// <param name="Detail">The numbers and the bound.</param>
public sealed record SoakCheck(string Name, bool Passed, string Detail);

/// <summary>What the soak ran.</summary>
/// <param name="DurationSeconds">The whole run.</param>
/// <param name="ReportIntervalSeconds">Length of each interval.</param>
/// <param name="WarmupIntervals">Leading intervals that are warm-up.</param>
/// <param name="Actors">Actor InsertStreams.</param>
/// <param name="StreamLearners">Learners reading a SampleStream.</param>
/// <param name="DataPlaneLearners">Learners reading the TCP data plane.</param>
/// <param name="IdleConnections">Idle connections during the "idle" phase.</param>
/// <param name="Table">The table and its rate limiter, in words.</param>
public sealed record SoakSettings(
    double DurationSeconds, double ReportIntervalSeconds, int WarmupIntervals, int Actors, int StreamLearners, int DataPlaneLearners,
    int IdleConnections, string Table);

/// <summary>Everything one <c>gear bench soak</c> run measured and concluded.</summary>
/// <param name="Command">The command line that produced it.</param>
/// <param name="Machine">Cores, OS and runtime.</param>
/// <param name="Settings">What ran.</param>
/// <param name="Intervals">The figures, interval by interval.</param>
/// <param name="TotalErrors">Errors over the whole run, its shutdown included.</param>
/// <param name="FirstErrors">The first few errors word for word.</param>
/// <param name="Checks">The verdicts.</param>
public sealed record SoakReport(
    string Command, string Machine, SoakSettings Settings, IReadOnlyList<SoakInterval> Intervals,
    long TotalErrors, IReadOnlyList<string> FirstErrors, IReadOnlyList<SoakCheck> Checks)
{
    /// <summary>Whether every check holds.</summary>
    public bool Passed => Checks.All(c => c.Passed);
}
