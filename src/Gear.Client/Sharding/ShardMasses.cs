using Gear.Protocol.V1;

namespace Gear.Client;

/// <summary>
/// What the client knows of each shard's selection mass (Σ p^α, or the item count) and item count, from the
/// batches it receives and, for shards it has not heard from lately, from ListTables. A shard that cannot be
/// reached counts as empty (mass 0) until a later refresh finds it again, so samples come from the others
/// with the distribution over the mass that remains.
/// </summary>
internal sealed class ShardMasses
{
    private readonly IReadOnlyList<ShardConnection> _shards;
    private readonly SampleOptions _options;
    private readonly double[] _masses;
    private readonly long[] _itemCounts;
    private readonly long[] _refreshedAt;
    private readonly bool[] _unreachable;

    /// <summary>Starts from <paramref name="tables"/>, one per shard; null for a shard that could not be reached.</summary>
    public ShardMasses(IReadOnlyList<ShardConnection> shards, SampleOptions options, IReadOnlyList<TableInfo?> tables)
    {
        _shards = shards;
        _options = options;
        _masses = new double[shards.Count];
        _itemCounts = new long[shards.Count];
        _refreshedAt = new long[shards.Count];
        _unreachable = new bool[shards.Count];
        var now = Environment.TickCount64;
        for (var s = 0; s < shards.Count; s++)
        {
            if (tables[s] is { } table)
                Record(s, table.SelectionMass, table.ItemCount, now);
            else
                MarkUnreachable(s);
        }
    }

    /// <summary>Each shard's selection mass, as last heard.</summary>
    public ReadOnlySpan<double> Masses => _masses;

    /// <summary>Σ selection mass.</summary>
    public double Total
    {
        get
        {
            double total = 0;
            foreach (var mass in _masses)
                total += mass;
            return total;
        }
    }

    /// <summary>Σ item count: N of the combined table.</summary>
    public long TotalItems
    {
        get
        {
            long total = 0;
            foreach (var count in _itemCounts)
                total += count;
            return total;
        }
    }

    /// <summary>Takes a shard's mass and item count from a reply or a batch (as of its selection).</summary>
    public void Record(int shard, double mass, long items) => Record(shard, mass, items, Environment.TickCount64);

    /// <summary>
    /// Counts a shard that could not be reached (UNAVAILABLE after its retries) as empty until a refresh, after
    /// <see cref="SampleOptions.MassRefreshInterval"/>, reaches it again.
    /// </summary>
    public void MarkUnreachable(int shard)
    {
        Record(shard, 0, 0, Environment.TickCount64);
        _unreachable[shard] = true;
    }

    /// <summary>
    /// Asks ListTables of the shards not heard from within <see cref="SampleOptions.MassRefreshInterval"/> (every
    /// shard when <paramref name="onlyStale"/> is false); then, while every shard is empty, waits for inserts as
    /// one server's rate limiter would, up to <paramref name="deadline"/>.
    /// </summary>
    public async Task RefreshAsync(bool onlyStale, DateTime? deadline, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        await RefreshOnceAsync(onlyStale, timeout, cancellationToken).ConfigureAwait(false);
        while (Total <= 0)
        {
            if (Array.TrueForAll(_unreachable, down => down))
                throw new Gear.Protocol.Grpc.RpcException(new Gear.Protocol.Grpc.Status(Gear.Protocol.Grpc.StatusCode.Unavailable,
                    $"no shard of table '{_options.Table}' can be reached ({string.Join(", ", _shards.Select(s => s.Endpoint))})"));
            if (deadline is { } end && DateTime.UtcNow >= end)
                throw new Gear.Protocol.Grpc.RpcException(new Gear.Protocol.Grpc.Status(Gear.Protocol.Grpc.StatusCode.DeadlineExceeded,
                    $"no shard of table '{_options.Table}' had items to sample before the deadline"));
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
            await RefreshOnceAsync(onlyStale: false, timeout, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RefreshOnceAsync(bool onlyStale, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var now = Environment.TickCount64;
        var interval = (long)_options.MassRefreshInterval.TotalMilliseconds;
        var refreshes = new List<Task>();
        for (var s = 0; s < _shards.Count; s++)
        {
            if (!onlyStale || now - _refreshedAt[s] >= interval)
                refreshes.Add(RefreshShardAsync(s, timeout, cancellationToken));
        }
        await Task.WhenAll(refreshes).ConfigureAwait(false);
    }

    private async Task RefreshShardAsync(int shard, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        try
        {
            var table = await GearClient.FindTableAsync(_shards[shard], _options.Table, timeout, cancellationToken).ConfigureAwait(false);
            Record(shard, table.SelectionMass, table.ItemCount);
        }
        catch (Gear.Protocol.Grpc.RpcException e) when (RetryPolicy.IsRetryable(e.StatusCode))
        {
            MarkUnreachable(shard);
        }
    }

    private void Record(int shard, double mass, long items, long now)
    {
        _unreachable[shard] = false;
        _masses[shard] = double.IsFinite(mass) && mass > 0 ? mass : 0;
        _itemCounts[shard] = items;
        _refreshedAt[shard] = now;
    }
}
