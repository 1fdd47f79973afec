using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Client;

/// <summary>
/// Samples several shards as one table with one unary Sample per shard (GearClient.SampleAsync; streams use
/// <see cref="ShardedStreamSource"/>). The batch is split among the shards by a multinomial draw weighted by
/// their selection masses (Σ p^α, or the item count), each shard samples its share, and the parts are joined
/// with probabilities and weights of the combined table.
/// </summary>
/// <remarks>
/// The split uses the masses known when the batch is split (from ListTables when the sampler is made, and
/// for shards not heard from within <see cref="SampleOptions.MassRefreshInterval"/>); the reported
/// probabilities use the masses the replies carry. Windows come grouped by shard.
/// </remarks>
internal sealed class ShardedSampler(IReadOnlyList<ShardConnection> shards, SampleOptions options, SampleBatchAssembler assembler, IReadOnlyList<TableInfo?> tables)
{
    private readonly ShardMasses _masses = new(shards, options, tables);
    private readonly Random _random = options.Seed != 0 ? new Random(unchecked((int)options.Seed ^ (int)(options.Seed >> 32))) : new Random();

    /// <summary>
    /// One batch drawn from the combined table. A shard that cannot be reached is counted as empty and its share
    /// drawn again from the others.
    /// </summary>
    public async Task<SampleBatch> SampleAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var parts = new List<ShardWindows>(shards.Count);
        try
        {
            for (var wanted = options.BatchSize; wanted > 0;)
            {
                // Throws UNAVAILABLE once every shard is unreachable, so the redraws end.
                await _masses.RefreshAsync(onlyStale: true, shards[0].DeadlineFor(timeout), timeout, cancellationToken).ConfigureAwait(false);
                wanted = await SampleShardsAsync(wanted, parts, timeout, cancellationToken).ConfigureAwait(false);
            }
            return assembler.FromShardWindows(parts, _masses.Total, _masses.TotalItems, options.ImportanceExponent, options.WindowLength, sequence: 0);
        }
        finally
        {
            foreach (var part in parts)
                part.Batch.Dispose();
        }
    }

    /// <summary>Splits <paramref name="wanted"/> windows among the shards and samples them; returns how many unreachable shards left undrawn.</summary>
    private async Task<int> SampleShardsAsync(int wanted, List<ShardWindows> parts, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var counts = new int[shards.Count];
        ShardSplit.Draw(wanted, _masses.Masses, _random, counts);
        var calls = new List<(Task<SampleResponse> Reply, int Shard)>(shards.Count);
        for (var s = 0; s < shards.Count; s++)
        {
            if (counts[s] == 0)
                continue;
            var seed = options.Seed == 0 ? 0 : (ulong)_random.NextInt64() | 1;
            calls.Add((shards[s].UnaryAsync(ReplayMethods.Sample, options.ToRequest(counts[s], seed), retryable: true, timeout, cancellationToken), s));
        }
        var undrawn = 0;
        foreach (var (call, shard) in calls)
        {
            SampleResponse reply;
            try
            {
                reply = await call.ConfigureAwait(false);
            }
            catch (RpcException e) when (RetryPolicy.IsRetryable(e.StatusCode))
            {
                _masses.MarkUnreachable(shard);
                undrawn += counts[shard];
                continue;
            }
            var part = assembler.FromReply(reply, shard);
            parts.Add(new ShardWindows(part, 0, part.BatchSize, shard));
            _masses.Record(shard, part.SelectionMass, part.ItemCount);
        }
        return undrawn;
    }
}
