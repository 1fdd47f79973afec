namespace Gear.Server.Bench;

/// <summary>A throughput workload's figure next to its reference, measured in the same run.</summary>
/// <param name="Workload">The workload's name ("w1-insert").</param>
/// <param name="What">What moved: "W1 steps inserted by 4 actor streams".</param>
/// <param name="BytesPerSecond">Step data per second through the service.</param>
/// <param name="ReferenceBytesPerSecond">Raw loopback TCP bytes per second in the same direction.</param>
/// <param name="Reference">Which reference: "raw TCP send" or "raw TCP receive".</param>
/// <param name="Target">The least ratio the issue asks for.</param>
public sealed record ThroughputResult(
    string Workload, string What, double BytesPerSecond, double ReferenceBytesPerSecond, string Reference, double Target)
{
    /// <summary>Throughput ÷ reference.</summary>
    public double Ratio => ReferenceBytesPerSecond > 0 ? BytesPerSecond / ReferenceBytesPerSecond : 0;

    /// <summary>Whether the ratio reaches the target.</summary>
    public bool Passed => Ratio >= Target;
}

/// <summary>Latency of unary calls at a number of concurrent learners.</summary>
/// <param name="Workload">The workload's name ("w2-latency").</param>
/// <param name="Learners">Concurrent learners, each calling as soon as its last call returned.</param>
/// <param name="Calls">Calls completed while measuring.</param>
/// <param name="CallsPerSecond">Calls per second over all learners.</param>
/// <param name="P50Microseconds">Median latency.</param>
/// <param name="P99Microseconds">99th percentile latency.</param>
public sealed record LatencyResult(
    string Workload, int Learners, long Calls, double CallsPerSecond, double P50Microseconds, double P99Microseconds);

/// <summary>Everything one <c>gear bench</c> run measured.</summary>
/// <param name="Command">The command line that produced it.</param>
/// <param name="Machine">Cores, OS and runtime, for the record.</param>
/// <param name="WarmupSeconds">Warm-up per workload.</param>
/// <param name="DurationSeconds">Measurement per workload.</param>
/// <param name="Throughputs">The throughput workloads.</param>
/// <param name="Latencies">The latency workloads.</param>
public sealed record BenchReport(
    string Command, string Machine, double WarmupSeconds, double DurationSeconds,
    IReadOnlyList<ThroughputResult> Throughputs, IReadOnlyList<LatencyResult> Latencies);
