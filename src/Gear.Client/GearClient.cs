using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Client;

/// <summary>
/// A client of one Gear server, or of several servers used as shards of one set of tables. Holds one HTTP/2
/// channel per endpoint, shared by every call, writer and stream made from it; thread-safe. Dispose it last.
/// </summary>
/// <remarks>
/// <para>Unary calls get <see cref="GearClientOptions.DefaultTimeout"/> as their deadline unless the call
/// gives one, and calls that are safe to repeat are retried after UNAVAILABLE (see <see cref="RetryPolicy"/>).
/// Failures are <see cref="RpcException"/>s with the server's status and message.</para>
/// <para>With several endpoints, table management applies to every shard (the same table on each), inserts
/// go to one shard per trajectory by consistent hashing, samples come from every shard in proportion to its
/// selection mass, and keyed calls go to the shard each key came from (<see cref="SampleBatch.Shards"/>).</para>
/// </remarks>
public sealed partial class GearClient : IDisposable, IAsyncDisposable
{
    private readonly ShardConnection[] _shards;
    private readonly ConsistentHashRing? _ring;
    private int _disposed;

    /// <summary>A client of the servers in <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">No endpoint, a duplicate, or an invalid setting.</exception>
    public GearClient(GearClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _shards = new ShardConnection[options.Endpoints.Count];
        for (var i = 0; i < _shards.Length; i++)
            _shards[i] = new ShardConnection(i, options.Endpoints[i], options);
        if (_shards.Length > 1)
            _ring = new ConsistentHashRing(_shards.Select(s => s.Identity).ToArray(), options.VirtualNodesPerEndpoint);
    }

    /// <summary>A client of one server.</summary>
    /// <param name="endpoint">"http://host:port" or "https://host:port".</param>
    /// <param name="bearerToken">The token to authenticate with; null for none.</param>
    public GearClient(Uri endpoint, string? bearerToken = null)
        : this(new GearClientOptions { Endpoints = [endpoint], BearerToken = bearerToken })
    {
    }

    /// <summary>The client's settings.</summary>
    public GearClientOptions Options { get; }

    /// <summary>The servers, in the order given; a shard's index is its position here.</summary>
    public IReadOnlyList<Uri> Endpoints => Options.Endpoints;

    /// <summary>Number of servers (shards).</summary>
    public int ShardCount => _shards.Length;

    /// <summary>The hash ring that routes inserts; null with one server.</summary>
    public ConsistentHashRing? Ring => _ring;

    /// <summary>Closes every channel; calls, writers and streams still in flight fail.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        foreach (var shard in _shards)
            shard.Dispose();
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed != 0, this);

    /// <summary>The table named <paramref name="table"/> on one shard, or NOT_FOUND naming the shard.</summary>
    internal static async Task<TableInfo> FindTableAsync(ShardConnection shard, string table, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var list = await shard.UnaryAsync(ReplayMethods.ListTables, new ListTablesRequest(), retryable: true, timeout, cancellationToken).ConfigureAwait(false);
        foreach (var info in list.Tables)
        {
            if (info.Spec?.Name == table)
                return info;
        }
        throw new RpcException(new Status(StatusCode.NotFound, $"table '{table}' does not exist on {shard.Endpoint}"));
    }

    /// <summary>Runs <paramref name="call"/> on every shard at once and returns the results in shard order.</summary>
    private async Task<T[]> OnEveryShardAsync<T>(Func<ShardConnection, Task<T>> call)
    {
        ThrowIfDisposed();
        var calls = new Task<T>[_shards.Length];
        for (var s = 0; s < _shards.Length; s++)
            calls[s] = call(_shards[s]);
        return await Task.WhenAll(calls).ConfigureAwait(false);
    }
}
