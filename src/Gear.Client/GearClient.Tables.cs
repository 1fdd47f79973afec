using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Client;

public sealed partial class GearClient
{
    /// <summary>
    /// Creates a table (on every shard). Admin. Not retried: a repeat after a lost reply would fail with
    /// ALREADY_EXISTS. Returns the table as created (summed over shards).
    /// </summary>
    /// <exception cref="RpcException">ALREADY_EXISTS, INVALID_ARGUMENT naming the field, PERMISSION_DENIED, …</exception>
    public async Task<TableInfo> CreateTableAsync(TableSpec spec, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var created = await OnEveryShardAsync(shard => shard.UnaryAsync(
            ReplayMethods.CreateTable, new CreateTableRequest { Spec = spec }, retryable: false, timeout, cancellationToken)).ConfigureAwait(false);
        return TableInfoMerge.Merge(created.Select(c => c.Table).ToArray());
    }

    /// <summary>Drops a table (on every shard) and frees its memory. Admin. Not retried.</summary>
    public async Task DropTableAsync(string table, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        await OnEveryShardAsync(shard => shard.UnaryAsync(
            ReplayMethods.DropTable, new DropTableRequest { Table = table }, retryable: false, timeout, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Empties a table (on every shard) and resets its rate limiter. Admin. Not retried: a repeat could wipe
    /// inserts that landed after the first attempt.
    /// </summary>
    public async Task ResetAsync(string table, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        await OnEveryShardAsync(shard => shard.UnaryAsync(
            ReplayMethods.Reset, new ResetRequest { Table = table }, retryable: false, timeout, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Every table with its spec and counters. With several shards, a table's counters (items, steps, bytes,
    /// selection mass, rate limiter counts) are summed over the shards that hold it.
    /// </summary>
    public async Task<IReadOnlyList<TableInfo>> ListTablesAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var lists = await OnEveryShardAsync(shard => shard.UnaryAsync(
            ReplayMethods.ListTables, new ListTablesRequest(), retryable: true, timeout, cancellationToken)).ConfigureAwait(false);
        return lists
            .SelectMany(list => list.Tables)
            .GroupBy(info => info.Spec?.Name ?? string.Empty, StringComparer.Ordinal)
            .Select(group => TableInfoMerge.Merge(group.ToArray()))
            .OrderBy(info => info.Spec?.Name, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>One table's spec and counters (summed over shards).</summary>
    /// <exception cref="RpcException">NOT_FOUND when a shard lacks the table.</exception>
    public async Task<TableInfo> GetTableAsync(string table, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        var infos = await OnEveryShardAsync(shard => FindTableAsync(shard, table, timeout, cancellationToken)).ConfigureAwait(false);
        return TableInfoMerge.Merge(infos);
    }

    /// <summary>
    /// The layout of <paramref name="table"/>'s columns, as writers check steps against it and batches are
    /// viewed through it.
    /// </summary>
    /// <exception cref="RpcException">NOT_FOUND when a shard lacks the table.</exception>
    /// <exception cref="InvalidOperationException">Shards hold tables of that name with different columns.</exception>
    public async Task<TableLayout> GetLayoutAsync(string table, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        var infos = await OnEveryShardAsync(shard => FindTableAsync(shard, table, timeout, cancellationToken)).ConfigureAwait(false);
        return SameLayoutOnEveryShard(table, infos);
    }

    /// <summary>The server's version, backend and limits, one per endpoint.</summary>
    public async Task<IReadOnlyList<ServerInfo>> GetServerInfoAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        await OnEveryShardAsync(shard => shard.UnaryAsync(
            ReplayMethods.GetServerInfo, new GetServerInfoRequest(), retryable: true, timeout, cancellationToken)).ConfigureAwait(false);

    /// <summary>
    /// As <see cref="GetLayoutAsync"/>, with the tables' infos, for sampling and writing over several shards: a shard that cannot be reached
    /// (UNAVAILABLE after its retries) gets a null entry and is left out, as long as one shard answers.
    /// </summary>
    private async Task<(TableLayout Layout, TableInfo?[] Infos)> GetLayoutAndReachableInfosAsync(string table, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        RpcException? unreachable = null;
        var infos = await OnEveryShardAsync<TableInfo?>(async shard =>
        {
            try
            {
                return await FindTableAsync(shard, table, timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (RetryPolicy.IsRetryable(e.StatusCode))
            {
                unreachable = e;
                return null;
            }
        }).ConfigureAwait(false);
        if (unreachable is not null && Array.TrueForAll(infos, info => info is null))
            throw unreachable;
        return (SameLayoutOnEveryShard(table, infos), infos);
    }

    /// <summary>The layout the shards' tables share (shards not reached are null and skipped).</summary>
    /// <exception cref="InvalidOperationException">Shards hold tables of that name with different columns.</exception>
    private TableLayout SameLayoutOnEveryShard(string table, TableInfo?[] infos)
    {
        var first = Array.FindIndex(infos, info => info is not null);
        var layout = new TableLayout(infos[first]!.Spec);
        for (var s = first + 1; s < infos.Length; s++)
        {
            if (infos[s] is { } info && !layout.HasSameColumns(new TableLayout(info.Spec)))
                throw new InvalidOperationException(
                    $"table '{table}' has different columns on {_shards[s].Endpoint} than on {_shards[first].Endpoint}; shards must hold the same table");
        }
        return layout;
    }
}
