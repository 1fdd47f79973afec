namespace Gear.Server.Configuration;

/// <summary>Values used where neither the config file nor a flag gives one. Loopback only: safe without tokens.</summary>
public static class ServerDefaults
{
    /// <summary>gRPC listen address.</summary>
    public const string Grpc = "127.0.0.1:50051";

    /// <summary>Admin HTTP listen address.</summary>
    public const string Admin = "127.0.0.1:8080";

    /// <summary>Data-plane listen address.</summary>
    public const string DataPlane = "127.0.0.1:50052";

    /// <summary>Compute device.</summary>
    public const string Device = "auto";

    /// <summary>
    /// Threads the CPU backend splits one large gather over (1: each gather on its caller's thread). Most sample
    /// paths send from the table's pages and gather nothing; unary Sample and RDMA sessions gather.
    /// </summary>
    public const int GatherThreads = 1;

    /// <summary>Largest gatherThreads accepted; more threads than cores only adds hand-offs.</summary>
    public const int MaxGatherThreads = 256;

    /// <summary>Log level.</summary>
    public const string LogLevel = "information";

    /// <summary>Shutdown drain, seconds: long enough for a batch in flight, short enough for an orchestrator's grace period.</summary>
    public const double ShutdownDrainSeconds = 5;

    /// <summary>Longest shutdown drain accepted, seconds.</summary>
    public const double MaxShutdownDrainSeconds = 300;

    /// <summary>Checkpoints kept when checkpoints.keep is absent.</summary>
    public const int CheckpointKeep = 3;

    /// <summary>Largest checkpoints.keep.</summary>
    public const int MaxCheckpointKeep = 1000;

    /// <summary>Largest checkpoints.intervalSeconds (a week).</summary>
    public const double MaxCheckpointIntervalSeconds = 7 * 24 * 3600;
}
