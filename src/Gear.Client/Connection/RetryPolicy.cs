using Gear.Protocol.Grpc;

namespace Gear.Client;

/// <summary>
/// Retries of calls that are safe to repeat, after UNAVAILABLE only (the server could not be reached, was
/// shutting down, or the connection broke). Waits grow exponentially with full jitter, so that many clients
/// cut off by the same restart do not come back in lockstep.
/// </summary>
/// <remarks>
/// Safe to repeat, and retried: ListTables, GetServerInfo, Sample (and re-opening a batch stream),
/// UpdatePriorities (it sets absolute priorities, so applying a batch twice leaves the same state; a retry may
/// report keys the first attempt already applied as applied again) and Delete (a second attempt finds the
/// keys gone and counts them as ignored). Not retried: CreateTable, DropTable and Reset (a repeat after a
/// lost reply fails with ALREADY_EXISTS or NOT_FOUND, or wipes inserts made in between), and never the
/// InsertStream (steps already sent may or may not be in the table; a writer of several shards resends a
/// trajectory to another shard when it kept its messages, see <see cref="TrajectoryWriter"/>). Other statuses are never retried: they are answers, not transport failures.
/// Every retry stays within the call's deadline.
/// </remarks>
public sealed class RetryPolicy
{
    /// <summary>No retries: every call is tried once.</summary>
    public static RetryPolicy None => new() { MaxAttempts = 1 };

    /// <summary>Attempts in all, the first included (default 5). 1 turns retries off.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The cap of the first wait (default 100 ms).</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The largest cap of any wait (default 5 s).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How much the cap grows after each failed attempt (default 2).</summary>
    public double BackoffMultiplier { get; init; } = 2;

    /// <summary>Whether a call that failed with <paramref name="code"/> may be tried again.</summary>
    public static bool IsRetryable(StatusCode code) => code == StatusCode.Unavailable;

    /// <summary>
    /// The wait before attempt <paramref name="retry"/> + 1 (retry 1 is the first repeat): uniform in
    /// [0, min(MaxBackoff, InitialBackoff × BackoffMultiplier^(retry − 1))] ("full jitter").
    /// </summary>
    public TimeSpan BackoffFor(int retry, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);
        var cap = InitialBackoff.TotalMilliseconds * Math.Pow(BackoffMultiplier, retry - 1);
        cap = Math.Min(cap, MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(random.NextDouble() * cap);
    }

    internal void Validate()
    {
        if (MaxAttempts < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "at least 1 (1 means no retries)");
        if (InitialBackoff < TimeSpan.Zero || MaxBackoff < InitialBackoff)
            throw new ArgumentOutOfRangeException(nameof(MaxBackoff), MaxBackoff, "backoffs must be non-negative and MaxBackoff at least InitialBackoff");
        if (!(BackoffMultiplier >= 1) || double.IsInfinity(BackoffMultiplier))
            throw new ArgumentOutOfRangeException(nameof(BackoffMultiplier), BackoffMultiplier, "must be finite and at least 1");
    }
}
