using Gear.Protocol;
using Gear.Protocol.Grpc;

namespace Gear.Client;

public sealed partial class GearClient
{
    /// <summary>
    /// One batch (from every shard in proportion to its selection mass). Waits on the table's rate limiter up
    /// to the deadline. Retried after UNAVAILABLE; a shard that stays unreachable is left out, and the batch
    /// comes from the others as from one table holding their items. Dispose the batch when done.
    /// </summary>
    /// <exception cref="RpcException">NOT_FOUND, INVALID_ARGUMENT naming the field, DEADLINE_EXCEEDED, …</exception>
    public async Task<SampleBatch> SampleAsync(SampleOptions options, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var (layout, infos) = await GetLayoutAndReachableInfosAsync(options.Table, timeout, cancellationToken).ConfigureAwait(false);
        var assembler = new SampleBatchAssembler(layout);
        if (_shards.Length == 1)
        {
            var shard = _shards[0];
            var reply = await shard.UnaryAsync(ReplayMethods.Sample, options.ToRequest(options.BatchSize, options.Seed), retryable: true, timeout, cancellationToken).ConfigureAwait(false);
            return assembler.FromReply(reply, shard.Index);
        }
        return await new ShardedSampler(_shards, options, assembler, infos).SampleAsync(timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a stream of batches of <see cref="SampleOptions.Table"/>: SampleStream with batches_in_flight on
    /// one server (re-opened after UNAVAILABLE), prefetched mass-weighted samples over several shards (a shard
    /// that cannot be reached is left out until a mass refresh reaches it again).
    /// </summary>
    /// <exception cref="RpcException">NOT_FOUND when a shard lacks the table.</exception>
    public async Task<BatchStream> OpenBatchStreamAsync(SampleOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var (layout, infos) = await GetLayoutAndReachableInfosAsync(options.Table, timeout: null, cancellationToken).ConfigureAwait(false);
        var assembler = new SampleBatchAssembler(layout);
        IBatchSource source = _shards.Length == 1
            ? DataPlaneSource.Usable(_shards[0], options) ? new DataPlaneSource(_shards[0], options, assembler) : new SampleStreamSource(_shards[0], options, assembler)
            : new ShardedStreamSource(_shards, options, assembler, infos);
        return new BatchStream(this, source, layout, options);
    }
}
