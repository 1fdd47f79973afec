using System.Text;

namespace Gear.Client;

/// <summary>
/// Consistent hashing with virtual nodes: each shard owns many points on a 64-bit ring and a key belongs to
/// the first point at or after its hash. Adding a server to n moves about 1/(n+1) of the keys (only to the new
/// server); removing one moves only its own keys. Points depend on the shard names alone, so every client with
/// the same endpoints routes the same way.
/// </summary>
public sealed class ConsistentHashRing
{
    private readonly ulong[] _points;
    private readonly int[] _owners;

    /// <summary>A ring of <paramref name="shardNames"/> (their order gives the shard indexes).</summary>
    /// <param name="shardNames">Distinct names; a server's address is its name.</param>
    /// <param name="virtualNodes">Points per shard; more spread keys more evenly (160 gives a few percent).</param>
    public ConsistentHashRing(IReadOnlyList<string> shardNames, int virtualNodes = 160)
    {
        ArgumentNullException.ThrowIfNull(shardNames);
        if (shardNames.Count == 0)
            throw new ArgumentException("at least one shard is required", nameof(shardNames));
        ArgumentOutOfRangeException.ThrowIfLessThan(virtualNodes, 1);
        ShardCount = shardNames.Count;
        var points = new (ulong Point, int Owner)[shardNames.Count * virtualNodes];
        for (var shard = 0; shard < shardNames.Count; shard++)
        {
            var name = Hash(Encoding.UTF8.GetBytes(shardNames[shard]));
            for (var v = 0; v < virtualNodes; v++)
                points[shard * virtualNodes + v] = (Mix(name + (ulong)v * 0x9E3779B97F4A7C15UL), shard);
        }
        // Ties (vanishingly rare) are broken by shard name order so that the ring does not depend on list order.
        Array.Sort(points, (a, b) => a.Point != b.Point
            ? a.Point.CompareTo(b.Point)
            : string.CompareOrdinal(shardNames[a.Owner], shardNames[b.Owner]));
        _points = points.Select(p => p.Point).ToArray();
        _owners = points.Select(p => p.Owner).ToArray();
    }

    /// <summary>Shards on the ring.</summary>
    public int ShardCount { get; }

    /// <summary>The shard that owns <paramref name="key"/>.</summary>
    public int ShardOf(ulong key)
    {
        var hash = Mix(key);
        // First point at or after the hash; past the last point wraps to the first.
        int lo = 0, hi = _points.Length;
        while (lo < hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            if (_points[mid] < hash)
                lo = mid + 1;
            else
                hi = mid;
        }
        return _owners[lo == _points.Length ? 0 : lo];
    }

    /// <summary>SplitMix64's finalizer: a bijective mix whose output bits each depend on every input bit.</summary>
    internal static ulong Mix(ulong x)
    {
        x ^= x >> 30;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27;
        x *= 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return x;
    }

    /// <summary>FNV-1a over the bytes, then mixed: stable across processes and runtimes (string.GetHashCode is not).</summary>
    internal static ulong Hash(ReadOnlySpan<byte> bytes)
    {
        var hash = 0xCBF29CE484222325UL;
        foreach (var b in bytes)
        {
            hash ^= b;
            hash *= 0x100000001B3UL;
        }
        return Mix(hash);
    }
}
