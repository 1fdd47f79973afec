using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Client;

/// <summary>
/// Batches from one server's SampleStream (batches_in_flight: at most that many gathered ahead). After UNAVAILABLE the
/// stream is opened again with backoff (sampling is safe to repeat); the batch count carries over. A stream
/// that takes over from another (a data plane falling back) starts at that one's <paramref name="delivered"/>
/// batches and <paramref name="opened"/> openings, so that sequence numbers and seeds go on rather than repeat.
/// </summary>
internal sealed class SampleStreamSource(ShardConnection shard, SampleOptions options, SampleBatchAssembler assembler, long delivered = 0, int opened = 0) : IBatchSource
{
    private readonly CancellationTokenSource _disposing = new();
    private AsyncServerStreamingCall<PooledSampleReply>? _call;
    private long _delivered = delivered;
    private int _opened = opened;

    public async ValueTask<SampleBatch?> NextAsync(CancellationToken cancellationToken)
    {
        for (var retry = 0; ; )
        {
            if (options.MaxBatches > 0 && _delivered >= options.MaxBatches)
                return null;
            _call ??= Open();
            try
            {
                if (!await _call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                    return null;
                var batch = assembler.FromPooledReply(_call.ResponseStream.Current, shard.Index);
                batch.Sequence = _delivered++;
                return batch;
            }
            catch (RpcException e) when (RetryPolicy.IsRetryable(e.StatusCode))
            {
                _call.Dispose();
                _call = null;
                if (!await shard.BackOffAsync(++retry, deadline: null, cancellationToken).ConfigureAwait(false))
                    throw;
            }
        }
    }

    private AsyncServerStreamingCall<PooledSampleReply> Open()
    {
        var request = options.ToStreamRequest(_delivered, _opened++);
        // Replies are read into pooled buffers that the batches keep and hand back on dispose (no copy after the read,
        // no array per column per batch).
        return shard.Channel.ServerStreaming(ReplayMethods.SampleStream, request, SampleReplyDecoder.Decode, shard.Options(deadline: null, _disposing.Token));
    }

    public ValueTask DisposeAsync()
    {
        _disposing.Cancel();
        _call?.Dispose();
        _call = null;
        _disposing.Dispose();
        return ValueTask.CompletedTask;
    }
}
