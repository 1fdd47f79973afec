using System.Threading.Channels;

namespace Gear.Client;

/// <summary>
/// Batches from several shards, sampled ahead by a producer into a queue of
/// <see cref="SampleOptions.BatchesInFlight"/> (the client-side counterpart of SampleStream's
/// batches_in_flight). The producer's failure ends the stream with its exception.
/// </summary>
internal sealed class ShardedBatchSource : IBatchSource
{
    private readonly Channel<SampleBatch> _ready;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _producer;

    public ShardedBatchSource(ShardedSampler sampler, SampleOptions options)
    {
        _ready = Channel.CreateBounded<SampleBatch>(new BoundedChannelOptions(options.BatchesInFlight) { SingleReader = true, SingleWriter = true });
        _producer = Task.Run(() => ProduceAsync(sampler, options.MaxBatches, _stop.Token));
    }

    public async ValueTask<SampleBatch?> NextAsync(CancellationToken cancellationToken)
    {
        // WaitToReadAsync rethrows the producer's exception once the queue is empty.
        while (await _ready.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_ready.Reader.TryRead(out var batch))
                return batch;
        }
        return null;
    }

    private async Task ProduceAsync(ShardedSampler sampler, long maxBatches, CancellationToken stop)
    {
        try
        {
            for (long produced = 0; maxBatches == 0 || produced < maxBatches; produced++)
            {
                // No per-call deadline on a stream: a rate-limited table makes it wait, as SampleStream does.
                var batch = await sampler.SampleAsync(Timeout.InfiniteTimeSpan, stop).ConfigureAwait(false);
                try
                {
                    await _ready.Writer.WriteAsync(batch, stop).ConfigureAwait(false);
                }
                catch
                {
                    batch.Dispose();
                    throw;
                }
            }
            _ready.Writer.TryComplete();
        }
        catch (Exception e)
        {
            _ready.Writer.TryComplete(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _producer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        while (_ready.Reader.TryRead(out var left))
            left.Dispose();
        _stop.Dispose();
    }
}
