using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Gear.Protocol.Rdma;

/// <summary>
/// How a ring side waits for completions it polls for: yield to other work for the first rounds (a
/// completion usually arrives within microseconds), then sleep a millisecond per round so that an idle
/// session costs no core. Tracks how long the side has been idle, for liveness probes.
/// </summary>
internal struct PollBackoff
{
    private const int YieldRounds = 64;

    private int _rounds;
    private long _idleSince;

    /// <summary>Something happened: the next wait starts over with yields.</summary>
    public void Progressed() => _rounds = 0;

    /// <summary>Whether nothing has happened for longer than <paramref name="interval"/> (the idle clock restarts when it has).</summary>
    public bool IdleFor(TimeSpan interval)
    {
        if (_rounds == 0 || Stopwatch.GetElapsedTime(_idleSince) < interval)
            return false;
        _idleSince = Stopwatch.GetTimestamp();
        return true;
    }

    /// <summary>Waits one round.</summary>
    /// <remarks>Not an async method: an async method of a struct runs on a copy, and the round count would be lost.</remarks>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        if (_rounds++ == 0)
            _idleSince = Stopwatch.GetTimestamp();
        if (_rounds > YieldRounds)
            return new ValueTask(Task.Delay(1, cancellationToken));
        cancellationToken.ThrowIfCancellationRequested();
        return YieldAsync();
    }

    // Pooled: a waiting side yields up to 64 times per batch, and each yield suspends.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask YieldAsync() => await Task.Yield();
}
