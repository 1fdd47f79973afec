namespace Gear.Client;

/// <summary>
/// A learner's stream of batches from one table, prefetched <see cref="SampleOptions.BatchesInFlight"/>
/// ahead. Enumerate it with <c>await foreach</c>; dispose each batch when done with it, and the stream when
/// done with the table.
/// <code>
/// await using var stream = await client.OpenBatchStreamAsync(new SampleOptions("replay") { BatchSize = 256 });
/// await foreach (var batch in stream)
/// {
///     using (batch)
///     {
///         ReadOnlySpan&lt;float&gt; obs = batch.Column&lt;float&gt;("obs");   // shape: batch.Shape("obs")
///         double[] priorities = Train(obs, batch.ImportanceWeights);
///         await stream.UpdatePrioritiesAsync(batch, priorities);
///     }
/// }
/// </code>
/// </summary>
public sealed class BatchStream : IAsyncEnumerable<SampleBatch>, IAsyncDisposable
{
    private readonly GearClient _client;
    private readonly IBatchSource _source;
    private int _disposed;

    internal BatchStream(GearClient client, IBatchSource source, TableLayout layout, SampleOptions options)
    {
        _client = client;
        _source = source;
        Layout = layout;
        Options = options;
    }

    /// <summary>Where the batches come from (tests check which transport a stream took).</summary>
    internal IBatchSource Source => _source;

    /// <summary>The table's columns.</summary>
    public TableLayout Layout { get; }

    /// <summary>What the stream samples.</summary>
    public SampleOptions Options { get; }

    /// <summary>The next batch, or null once <see cref="SampleOptions.MaxBatches"/> have been delivered.</summary>
    /// <exception cref="Gear.Protocol.Grpc.RpcException">The server refused the request, or could not be reached after retries.</exception>
    public ValueTask<SampleBatch?> NextAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _source.NextAsync(cancellationToken);
    }

    /// <summary>Enumerates batches until <see cref="SampleOptions.MaxBatches"/>, cancellation or an error.</summary>
    public async IAsyncEnumerator<SampleBatch> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        while (await NextAsync(cancellationToken).ConfigureAwait(false) is { } batch)
            yield return batch;
    }

    /// <summary>
    /// New priorities for the items of <paramref name="batch"/>, one per window, sent to the shards they came
    /// from. The keys are read before this returns, so the batch may be disposed right after the call.
    /// </summary>
    public Task<KeyedResult> UpdatePrioritiesAsync(SampleBatch batch, ReadOnlySpan<double> priorities, CancellationToken cancellationToken = default) =>
        _client.UpdatePrioritiesAsync(Options.Table, batch, priorities, timeout: null, cancellationToken);

    /// <summary>Stops sampling and drops batches gathered ahead.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _source.DisposeAsync().ConfigureAwait(false);
    }
}
