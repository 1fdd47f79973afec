namespace Gear.Client;

/// <summary>
/// Where a writer sends each trajectory: the shard that owns it on the hash ring, unless that shard's insert
/// stream failed within the last <see cref="TrajectoryWriterOptions.ShardRetryDelay"/>; then the next shard
/// by index that has not. After the delay the shard is tried again, so a server that comes back gets its
/// share without the actor doing anything. Not thread-safe: the writer calls it under its lock.
/// </summary>
internal sealed class ShardRouting
{
    private readonly ConsistentHashRing? _ring;
    private readonly ulong _salt;
    private readonly long[] _downUntil;
    private readonly long _retryDelayMs;

    public ShardRouting(ConsistentHashRing? ring, int shardCount, ulong salt, TimeSpan retryDelay)
    {
        _ring = ring;
        _salt = salt;
        _downUntil = new long[shardCount];
        _retryDelayMs = (long)retryDelay.TotalMilliseconds;
    }

    /// <summary>Shards the writer can send to.</summary>
    public int ShardCount => _downUntil.Length;

    /// <summary>The shard for trajectory <paramref name="id"/>, or -1 when every shard is down (whatever the id).</summary>
    public int Route(ulong id)
    {
        var owner = _ring?.ShardOf(_salt ^ id) ?? 0;
        var now = Environment.TickCount64;
        for (var i = 0; i < _downUntil.Length; i++)
        {
            var shard = (owner + i) % _downUntil.Length;
            if (_downUntil[shard] <= now)
                return shard;
        }
        return -1;
    }

    /// <summary>Routes around <paramref name="shard"/> for the retry delay from now.</summary>
    public void MarkDown(int shard) => _downUntil[shard] = Environment.TickCount64 + _retryDelayMs;
}
