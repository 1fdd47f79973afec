using Gear.Protocol.V1;

namespace Gear.Client;

/// <summary>
/// Batches from several shards as one table, from one SampleStream per shard. Each combined batch is split
/// among the shards by a multinomial draw weighted by their selection masses, and each shard's share is taken
/// from the windows its stream has delivered (i.i.d. draws from that shard), so the combined distribution is
/// that of one table holding every shard's items. Streaming keeps every shard's server gathering ahead
/// instead of one unary round trip per shard per batch.
/// </summary>
/// <remarks>
/// Windows a shard's stream has gathered ahead wait for later batches, so a shard's windows (and the
/// priorities they were selected with) can be up to a few of that shard's stream batches old. Masses are
/// taken from every shard batch received and, for shards not heard from within
/// <see cref="SampleOptions.MassRefreshInterval"/>, from ListTables.
/// </remarks>
internal sealed class ShardedStreamSource : IBatchSource
{
    private readonly ShardWindowCursor[] _cursors;
    private readonly SampleOptions _options;
    private readonly SampleBatchAssembler _assembler;
    private readonly ShardMasses _masses;
    private readonly Random _random;
    private readonly int[] _counts;
    private readonly List<ShardWindows> _parts = [];
    private long _sequence;

    public ShardedStreamSource(ShardConnection[] shards, SampleOptions options, SampleBatchAssembler assembler, IReadOnlyList<TableInfo?> tables)
    {
        _options = options;
        _assembler = assembler;
        _masses = new ShardMasses(shards, options, tables);
        _random = options.Seed != 0 ? new Random(unchecked((int)options.Seed ^ (int)(options.Seed >> 32))) : new Random();
        _counts = new int[shards.Length];
        _cursors = new ShardWindowCursor[shards.Length];
        for (var s = 0; s < shards.Length; s++)
        {
            // Every shard streams full batches without end (the combined stream counts its own), each with a
            // seed of its own so that shards never mirror each other's selections.
            var shardOptions = new SampleOptions(options.Table)
            {
                BatchSize = options.BatchSize,
                WindowLength = options.WindowLength,
                Placement = options.Placement,
                Padding = options.Padding,
                ImportanceExponent = options.ImportanceExponent,
                BatchesInFlight = options.BatchesInFlight,
                Seed = options.Seed == 0 ? 0 : options.Seed * 0x9E3779B97F4A7C15UL + (ulong)s + 1,
            };
            _cursors[s] = new ShardWindowCursor(new SampleStreamSource(shards[s], shardOptions, assembler), s);
        }
    }

    public async ValueTask<SampleBatch?> NextAsync(CancellationToken cancellationToken)
    {
        if (_options.MaxBatches > 0 && _sequence >= _options.MaxBatches)
            return null;
        _parts.Clear();
        try
        {
            for (var wanted = _options.BatchSize; wanted > 0;)
            {
                // Throws UNAVAILABLE once every shard is unreachable, so the redraws end.
                await _masses.RefreshAsync(onlyStale: true, deadline: null, timeout: null, cancellationToken).ConfigureAwait(false);
                ShardSplit.Draw(wanted, _masses.Masses, _random, _counts);
                wanted = 0;
                for (var s = 0; s < _cursors.Length; s++)
                    wanted += await TakeAsync(s, _counts[s], cancellationToken).ConfigureAwait(false);
            }
            return _assembler.FromShardWindows(_parts, _masses.Total, _masses.TotalItems, _options.ImportanceExponent, _options.WindowLength, _sequence++);
        }
        finally
        {
            foreach (var cursor in _cursors)
                cursor.ReleaseUsed();
        }
    }

    /// <summary>
    /// Takes <paramref name="count"/> windows of shard <paramref name="shard"/>'s stream into the batch; returns
    /// how many are still owed because the shard could not be reached (it then counts as empty, and its stream
    /// is opened again when a refresh finds it).
    /// </summary>
    private async Task<int> TakeAsync(int shard, int count, CancellationToken cancellationToken)
    {
        for (var left = count; left > 0;)
        {
            ShardWindows windows;
            try
            {
                windows = await _cursors[shard].TakeAsync(left, cancellationToken).ConfigureAwait(false);
            }
            catch (Gear.Protocol.Grpc.RpcException e) when (RetryPolicy.IsRetryable(e.StatusCode))
            {
                _masses.MarkUnreachable(shard);
                return left;
            }
            _masses.Record(shard, windows.Batch.SelectionMass, windows.Batch.ItemCount);
            _parts.Add(windows);
            left -= windows.Count;
        }
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var cursor in _cursors)
            await cursor.DisposeAsync().ConfigureAwait(false);
    }
}
