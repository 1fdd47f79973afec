namespace Gear.Client;

/// <summary>
/// Hands out one shard's streamed windows a few at a time. A shard's SampleStream delivers batches of
/// i.i.d. windows from that shard; a combined batch takes as many as the multinomial split gives the shard,
/// and the rest wait for the next combined batch. Batches used up stay alive until <see cref="ReleaseUsed"/>,
/// so windows taken from them can still be copied.
/// </summary>
internal sealed class ShardWindowCursor(SampleStreamSource source, int shard) : IAsyncDisposable
{
    private readonly List<SampleBatch> _used = [];
    private SampleBatch? _current;
    private int _next;

    /// <summary>Up to <paramref name="wanted"/> windows (at least one) from the shard's stream.</summary>
    public async ValueTask<ShardWindows> TakeAsync(int wanted, CancellationToken cancellationToken)
    {
        if (_current is null || _next >= _current.BatchSize)
        {
            if (_current is not null)
                _used.Add(_current);
            _current = null;
            // A shard's batch can hold fewer windows than asked (max_times_sampled); an empty one is skipped.
            do
            {
                var next = await source.NextAsync(cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"shard {shard}'s sample stream ended");
                if (next.BatchSize == 0)
                {
                    next.Dispose();
                    continue;
                }
                _current = next;
            }
            while (_current is null);
            _next = 0;
        }
        var count = Math.Min(wanted, _current.BatchSize - _next);
        var windows = new ShardWindows(_current, _next, count, shard);
        _next += count;
        return windows;
    }

    /// <summary>Disposes the batches whose windows are all taken (after the combined batch copied them).</summary>
    public void ReleaseUsed()
    {
        foreach (var batch in _used)
            batch.Dispose();
        _used.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        ReleaseUsed();
        _current?.Dispose();
        _current = null;
        await source.DisposeAsync().ConfigureAwait(false);
    }
}
