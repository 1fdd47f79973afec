using System.Collections.Concurrent;
using System.Security.Cryptography;
using Gear.Protocol.DataPlane;
using Gear.Protocol.V1;

namespace Gear.Server.DataPlane;

/// <summary>
/// Sessions granted by OpenDataPlane, each claimable once by the connection that presents its token within
/// <see cref="ClaimWindow"/>. A reconnecting learner opens a new session: a token is never reused, so a
/// token seen on the wire cannot be replayed.
/// </summary>
internal sealed class DataPlaneSessions
{
    /// <summary>How long a granted session waits for its connection.</summary>
    public static readonly TimeSpan ClaimWindow = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, DataPlaneSession> _pending = new();
    private long _nextId;

    /// <summary>A new session for <paramref name="request"/> with a fresh random token.</summary>
    public DataPlaneSession Create(SampleStreamRequest request)
    {
        var now = DateTime.UtcNow;
        // Unclaimed sessions of learners that never connected are dropped here rather than by a timer.
        foreach (var (key, stale) in _pending)
        {
            if (stale.ExpiresUtc < now)
                _pending.TryRemove(key, out _);
        }
        var token = RandomNumberGenerator.GetBytes(LearnerFrames.TokenBytes);
        var session = new DataPlaneSession((ulong)Interlocked.Increment(ref _nextId), token, request, now + ClaimWindow);
        _pending[Convert.ToHexString(token)] = session;
        return session;
    }

    /// <summary>Takes the session of <paramref name="token"/> (once), or null for an unknown or expired token.</summary>
    public DataPlaneSession? TryClaim(ReadOnlySpan<byte> token) =>
        _pending.TryRemove(Convert.ToHexString(token), out var session) && session.ExpiresUtc >= DateTime.UtcNow ? session : null;
}
