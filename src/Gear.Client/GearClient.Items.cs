using Gear.Protocol;
using Gear.Protocol.V1;

namespace Gear.Client;

public sealed partial class GearClient
{
    /// <summary>
    /// New priorities for items by key, applied per shard as one batch. With several shards,
    /// <paramref name="shards"/> says which shard each key came from (<see cref="SampleBatch.Shards"/>);
    /// with one server it may be left empty. Retried after UNAVAILABLE: setting absolute priorities twice
    /// leaves the same state. Keys and priorities are copied before this returns.
    /// </summary>
    /// <exception cref="ArgumentException">Lengths differ, a priority is negative or not finite, or a shard is missing or out of range.</exception>
    public Task<KeyedResult> UpdatePrioritiesAsync(
        string table, ReadOnlySpan<ulong> keys, ReadOnlySpan<double> priorities, ReadOnlySpan<int> shards = default,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        ThrowIfDisposed();
        if (priorities.Length != keys.Length)
            throw new ArgumentException($"{keys.Length} keys but {priorities.Length} priorities; give one priority per key", nameof(priorities));
        CheckShards(keys.Length, shards);
        var requests = new UpdatePrioritiesRequest?[_shards.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            var p = priorities[i];
            if (!double.IsFinite(p) || p < 0)
                throw new ArgumentOutOfRangeException(nameof(priorities), p, $"priority {i} (key {keys[i]}) must be finite and not negative");
            var shard = shards.IsEmpty ? 0 : shards[i];
            var request = requests[shard] ??= new UpdatePrioritiesRequest { Table = table };
            request.Keys.Add(keys[i]);
            request.Priorities.Add(p);
        }
        return SumAsync(requests, (shard, request) => shard.UnaryAsync(ReplayMethods.UpdatePriorities, request, retryable: true, timeout, cancellationToken),
            response => new KeyedResult(response.Applied, response.Ignored));
    }

    /// <summary>New priorities for the windows of <paramref name="batch"/>, one per window, routed to their shards.</summary>
    public Task<KeyedResult> UpdatePrioritiesAsync(
        string table, SampleBatch batch, ReadOnlySpan<double> priorities, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return UpdatePrioritiesAsync(table, batch.Keys, priorities, batch.Shards, timeout, cancellationToken);
    }

    /// <summary>
    /// Removes items by key. Admin. <paramref name="shards"/> as for <see cref="UpdatePrioritiesAsync(string, ReadOnlySpan{ulong}, ReadOnlySpan{double}, ReadOnlySpan{int}, TimeSpan?, CancellationToken)"/>.
    /// Retried after UNAVAILABLE (a repeat finds removed keys gone and counts them as ignored).
    /// </summary>
    public Task<KeyedResult> DeleteAsync(
        string table, ReadOnlySpan<ulong> keys, ReadOnlySpan<int> shards = default, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        ThrowIfDisposed();
        CheckShards(keys.Length, shards);
        var requests = new DeleteRequest?[_shards.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            var shard = shards.IsEmpty ? 0 : shards[i];
            (requests[shard] ??= new DeleteRequest { Table = table }).Keys.Add(keys[i]);
        }
        return SumAsync(requests, (shard, request) => shard.UnaryAsync(ReplayMethods.Delete, request, retryable: true, timeout, cancellationToken),
            response => new KeyedResult(response.Applied, response.Ignored));
    }

    private void CheckShards(int keys, ReadOnlySpan<int> shards)
    {
        if (shards.IsEmpty)
        {
            if (_shards.Length > 1 && keys > 0)
                throw new ArgumentException(
                    $"this client has {_shards.Length} shards: say which shard each key came from (SampleBatch.Shards)", nameof(shards));
            return;
        }
        if (shards.Length != keys)
            throw new ArgumentException($"{keys} keys but {shards.Length} shard indexes; give one per key", nameof(shards));
        foreach (var shard in shards)
        {
            if ((uint)shard >= (uint)_shards.Length)
                throw new ArgumentOutOfRangeException(nameof(shards), shard, $"shard indexes run from 0 to {_shards.Length - 1}");
        }
    }

    private async Task<KeyedResult> SumAsync<TRequest, TResponse>(
        TRequest?[] requests, Func<ShardConnection, TRequest, Task<TResponse>> call, Func<TResponse, KeyedResult> result)
        where TRequest : class
    {
        var calls = new List<Task<TResponse>>();
        for (var s = 0; s < requests.Length; s++)
        {
            if (requests[s] is { } request)
                calls.Add(call(_shards[s], request));
        }
        int applied = 0, ignored = 0;
        foreach (var response in await Task.WhenAll(calls).ConfigureAwait(false))
        {
            var r = result(response);
            applied += r.Applied;
            ignored += r.Ignored;
        }
        return new KeyedResult(applied, ignored);
    }
}
