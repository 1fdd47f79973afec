using System.Numerics;

namespace Gear.Core.Tables;

public sealed partial class Table
{
    /// <summary>
    /// Counts the live items by how often each has been sampled, in power-of-two buckets: bucket 0 holds the
    /// items never sampled, bucket k ≥ 1 those sampled [2^(k−1), 2^k) times, and the last bucket everything
    /// beyond. Read-only; one pass over the item slots under the table lock (for statistics such as the
    /// admin dashboard, not for hot paths).
    /// </summary>
    /// <param name="buckets">Receives the counts (cleared first); at least one bucket.</param>
    /// <returns>The number of live items counted (the sum of the buckets).</returns>
    public int TimesSampledHistogram(Span<long> buckets)
    {
        if (buckets.IsEmpty)
            throw new ArgumentException("at least one bucket is needed", nameof(buckets));
        buckets.Clear();
        var last = buckets.Length - 1;
        var counted = 0;
        lock (_sync)
        {
            ThrowIfDisposed();
            var slots = _items.Capacity;
            for (var slot = 0; slot < slots && counted < _items.Count; slot++)
            {
                if (!_items.IsLive(slot))
                    continue;
                var times = _items[slot].TimesSampled;
                // 0 → 0; 1 → 1; 2..3 → 2; 4..7 → 3: one more than the index of the highest set bit.
                var bucket = times <= 0 ? 0 : BitOperations.Log2((uint)times) + 1;
                buckets[Math.Min(bucket, last)]++;
                counted++;
            }
        }
        return counted;
    }

    /// <summary>
    /// Counts the live items by priority in power-of-two buckets: bucket 0 holds priorities below
    /// 2^<paramref name="lowestExponent"/> (zero included), bucket k ≥ 1 those in
    /// [2^(lowestExponent+k−1), 2^(lowestExponent+k)), and the last bucket everything beyond. Priorities
    /// come from the sampler, else the remover; neither keeps them when both ignore priorities (uniform,
    /// FIFO, LIFO), and then nothing is counted and the result is false.
    /// </summary>
    /// <param name="buckets">Receives the counts (cleared first); at least one bucket.</param>
    /// <param name="lowestExponent">The power of two where bucket 1 begins.</param>
    /// <returns>Whether the table keeps priorities, so that the buckets mean something.</returns>
    public bool PriorityHistogram(Span<long> buckets, int lowestExponent)
    {
        if (buckets.IsEmpty)
            throw new ArgumentException("at least one bucket is needed", nameof(buckets));
        buckets.Clear();
        var last = buckets.Length - 1;
        lock (_sync)
        {
            ThrowIfDisposed();
            if (!_sampler.UsesPriorities && !_remover.UsesPriorities)
                return false;
            var counted = 0;
            for (var slot = 0; slot < _items.Capacity && counted < _items.Count; slot++)
            {
                if (!_items.IsLive(slot))
                    continue;
                counted++;
                if (!_sampler.TryGetPriority(slot, out var priority) && !_remover.TryGetPriority(slot, out priority))
                {
                    // Neither can say (prioritized with α = 0 and a remover that ignores priorities).
                    buckets.Clear();
                    return false;
                }
                var bucket = priority > 0 ? Math.ILogB(priority) - lowestExponent + 1 : 0;
                buckets[Math.Clamp(bucket, 0, last)]++;
            }
        }
        return true;
    }
}
