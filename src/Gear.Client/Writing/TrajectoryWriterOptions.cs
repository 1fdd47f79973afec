namespace Gear.Client;

/// <summary>Settings of a <see cref="TrajectoryWriter"/>.</summary>
public sealed class TrajectoryWriterOptions
{
    /// <summary>
    /// Target size of one AppendSteps message (default 1 MiB): committed steps of a trajectory are sent once
    /// they add up to this many bytes, at the trajectory's end, or on <see cref="TrajectoryWriter.FlushAsync"/>.
    /// Larger messages cost fewer round trips; the server's max_receive_message_bytes is the ceiling.
    /// </summary>
    public int MaxMessageBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// Most bytes of step data the writer holds (appended but not yet written to the connection), default
    /// 64 MiB. Committing steps waits while the writer holds more.
    /// </summary>
    public long MaxBufferedBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// Most trajectories open or ended but not yet acknowledged, default 64 (the server allows 4,096 open per
    /// stream). <see cref="TrajectoryWriter.BeginTrajectoryAsync"/> waits while this many are in flight.
    /// </summary>
    public int MaxTrajectoriesInFlight { get; init; } = 64;

    /// <summary>
    /// Salt of the insert routing: a trajectory goes to the shard that owns hash(salt, trajectory id) on the
    /// ring. 0 (the default) picks a random salt, so that actors spread their trajectories differently.
    /// </summary>
    public ulong RoutingSalt { get; init; }

    /// <summary>
    /// How long a writer of several shards routes new trajectories around a shard whose insert stream failed
    /// with UNAVAILABLE before it tries that shard again (default 5 s).
    /// </summary>
    public TimeSpan ShardRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Most bytes of sent step data a writer of several shards keeps until their trajectories are
    /// acknowledged (default 64 MiB; 0 keeps none), so that a trajectory whose shard fails can be sent again,
    /// whole, to another shard. A trajectory with a message sent past this cap fails with its shard instead.
    /// A writer of one shard keeps nothing.
    /// </summary>
    public long MaxResendBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>How long <see cref="TrajectoryWriter.DisposeAsync"/> waits for outstanding acknowledgements (default 30 s).</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageBytes, 1, nameof(MaxMessageBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBufferedBytes, MaxMessageBytes, nameof(MaxBufferedBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTrajectoriesInFlight, 1, nameof(MaxTrajectoriesInFlight));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxTrajectoriesInFlight, 4096, nameof(MaxTrajectoriesInFlight));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CloseTimeout, TimeSpan.Zero, nameof(CloseTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(ShardRetryDelay, TimeSpan.Zero, nameof(ShardRetryDelay));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxResendBytes, nameof(MaxResendBytes));
    }
}
