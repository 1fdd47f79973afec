using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Client;

/// <summary>
/// Samples several shards as one table. Each batch is split among the shards by a multinomial draw weighted
/// by their selection masses (Σ p^α, or the item count), each shard samples its share, and the parts are
/// joined with probabilities and weights of the combined table. Masses come from every reply (the server
/// reports them as of the selection) and, for shards not sampled lately, from ListTables.
/// </summary>
/// <remarks>
/// The split uses the masses known when the batch is split; while tables change, a shard's share lags its
/// mass by at most one batch (or <see cref="SampleOptions.MassRefreshInterval"/> for a shard that got no
/// windows). The reported probabilities use the masses the replies carry. Windows come grouped by shard.
/// Used by one caller at a time.
/// </remarks>
internal sealed class ShardedSampler
{
    private readonly IReadOnlyList<ShardConnection> _shards;
    private readonly SampleOptions _options;
    private readonly SampleBatchAssembler _assembler;
    private readonly Random _random;
    private readonly double[] _masses;
    private readonly long[] _itemCounts;
    private readonly long[] _refreshedAt;
    private readonly int[] _counts;
    private long _sequence;

    public ShardedSampler(IReadOnlyList<ShardConnection> shards, SampleOptions options, SampleBatchAssembler assembler, IReadOnlyList<TableInfo> tables)
    {
        _shards = shards;
        _options = options;
        _assembler = assembler;
        _random = options.Seed != 0 ? new Random(unchecked((int)options.Seed ^ (int)(options.Seed >> 32))) : new Random();
        _masses = new double[shards.Count];
        _itemCounts = new long[shards.Count];
        _refreshedAt = new long[shards.Count];
        _counts = new int[shards.Count];
        var now = Environment.TickCount64;
        for (var s = 0; s < shards.Count; s++)
            Record(s, tables[s].SelectionMass, tables[s].ItemCount, now);
    }

    /// <summary>One batch drawn from the combined table.</summary>
    public async Task<SampleBatch> SampleAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var deadline = _shards[0].DeadlineFor(timeout);
        await RefreshAsync(stale: true, timeout, cancellationToken).ConfigureAwait(false);
        while (TotalMass() <= 0)
        {
            // Every shard is empty: wait for inserts as one server's rate limiter would, up to the deadline.
            if (deadline is { } end && DateTime.UtcNow >= end)
                throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"no shard of table '{_options.Table}' had items to sample before the deadline"));
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
            await RefreshAsync(stale: false, timeout, cancellationToken).ConfigureAwait(false);
        }

        ShardSplit.Draw(_options.BatchSize, _masses, _random, _counts);
        var calls = new List<(Task<SampleResponse> Reply, int Shard)>(_shards.Count);
        for (var s = 0; s < _shards.Count; s++)
        {
            if (_counts[s] == 0)
                continue;
            var seed = _options.Seed == 0 ? 0 : (ulong)_random.NextInt64() | 1;
            var request = _options.ToRequest(_counts[s], seed);
            calls.Add((_shards[s].UnaryAsync(ReplayMethods.Sample, request, retryable: true, timeout, cancellationToken), s));
        }
        await Task.WhenAll(calls.Select(c => c.Reply)).ConfigureAwait(false);

        var now = Environment.TickCount64;
        var parts = new List<(SampleResponse Reply, int Shard)>(calls.Count);
        foreach (var (call, shard) in calls)
        {
            var reply = call.Result;
            Record(shard, reply.SelectionMass, reply.ItemCount, now);
            parts.Add((reply, shard));
        }
        long items = 0;
        foreach (var count in _itemCounts)
            items += count;
        return _assembler.FromShards(parts, TotalMass(), items, _options.ImportanceExponent, _options.WindowLength, _sequence++);
    }

    private async Task RefreshAsync(bool stale, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var now = Environment.TickCount64;
        var interval = (long)_options.MassRefreshInterval.TotalMilliseconds;
        var refreshes = new List<Task>();
        for (var s = 0; s < _shards.Count; s++)
        {
            if (!stale || now - _refreshedAt[s] >= interval)
                refreshes.Add(RefreshShardAsync(s, timeout, cancellationToken));
        }
        await Task.WhenAll(refreshes).ConfigureAwait(false);
    }

    private async Task RefreshShardAsync(int shard, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var table = await GearClient.FindTableAsync(_shards[shard], _options.Table, timeout, cancellationToken).ConfigureAwait(false);
        Record(shard, table.SelectionMass, table.ItemCount, Environment.TickCount64);
    }

    private void Record(int shard, double mass, long items, long now)
    {
        _masses[shard] = double.IsFinite(mass) && mass > 0 ? mass : 0;
        _itemCounts[shard] = items;
        _refreshedAt[shard] = now;
    }

    private double TotalMass()
    {
        double total = 0;
        foreach (var mass in _masses)
            total += mass;
        return total;
    }
}
