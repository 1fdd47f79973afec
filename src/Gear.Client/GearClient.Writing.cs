namespace Gear.Client;

public sealed partial class GearClient
{
    /// <summary>
    /// Opens a writer of trajectories into <paramref name="table"/>, checking steps against its spec as the
    /// servers report it (a shard that cannot be reached now is not asked; trajectories routed to it fail with
    /// UNAVAILABLE when their stream cannot open). Insert streams open on first use, one per shard.
    /// </summary>
    /// <exception cref="Gear.Protocol.Grpc.RpcException">NOT_FOUND when a shard lacks the table; UNAVAILABLE when no shard can be reached.</exception>
    public async Task<TrajectoryWriter> OpenWriterAsync(string table, TrajectoryWriterOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new TrajectoryWriterOptions();
        options.Validate();
        var (layout, _) = await GetLayoutAndReachableInfosAsync(table, timeout: null, cancellationToken).ConfigureAwait(false);
        return new TrajectoryWriter(_shards, _ring, layout, options);
    }
}
