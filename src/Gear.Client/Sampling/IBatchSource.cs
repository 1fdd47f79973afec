namespace Gear.Client;

/// <summary>Where a <see cref="BatchStream"/> gets its batches: one server's SampleStream, or several shards.</summary>
internal interface IBatchSource : IAsyncDisposable
{
    /// <summary>The next batch, or null when the stream has delivered its MaxBatches.</summary>
    ValueTask<SampleBatch?> NextAsync(CancellationToken cancellationToken);
}
