using System.Buffers;
using System.Threading.Channels;
using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Client;

/// <summary>
/// A writer's InsertStream to one server: a queue of requests written in order by one send loop (returning
/// each message's pooled buffers once it is on the connection), and a receive loop that hands
/// acknowledgements to the writer. Either loop failing reports the call's status to the writer, which fails
/// the shard or itself.
/// </summary>
internal sealed class InsertStreamConnection
{
    private readonly TrajectoryWriter _writer;
    private readonly ShardConnection _shard;
    private readonly AsyncDuplexStreamingCall<InsertRequest, InsertResponse> _call;
    private readonly Channel<Outgoing> _queue = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Task _sending;
    private readonly Task _receiving;

    public InsertStreamConnection(TrajectoryWriter writer, ShardConnection shard, CancellationToken closing)
    {
        _writer = writer;
        _shard = shard;
        // No deadline: an insert stream lives as long as the actor. Closing the writer cancels it.
        _call = shard.Channel.DuplexStreaming(ReplayMethods.InsertStream, shard.Options(deadline: null, closing));
        _sending = Task.Run(SendLoopAsync);
        _receiving = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>The server this stream goes to.</summary>
    public ShardConnection Shard => _shard;

    /// <summary>
    /// Queues a request of <paramref name="bytes"/> step bytes; <paramref name="buffers"/> (null for a message
    /// the writer keeps) go back to the pool once it is written.
    /// </summary>
    public void Enqueue(InsertRequest request, byte[][]? buffers, long bytes)
    {
        if (_queue.Writer.TryWrite(new Outgoing(request, buffers, bytes)))
            return;
        // The stream has failed and is being reported: the writer resends or fails what was on it.
        Return(buffers);
        _writer.OnWritten(bytes);
    }

    /// <summary>Ends the request stream after what is queued; the server then closes its side.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Completes when both loops have ended.</summary>
    public Task Completion => Task.WhenAll(_sending, _receiving);

    /// <summary>Cancels the call.</summary>
    public void Abort() => _call.Dispose();

    private async Task SendLoopAsync()
    {
        try
        {
            await foreach (var outgoing in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                try
                {
                    await _call.RequestStream.WriteAsync(outgoing.Request).ConfigureAwait(false);
                }
                finally
                {
                    // Written means serialized onto the connection: the wrapped buffers are free again.
                    Return(outgoing.Buffers);
                    _writer.OnWritten(outgoing.Bytes);
                }
            }
            await _call.RequestStream.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out var left))
            {
                Return(left.Buffers);
                _writer.OnWritten(left.Bytes);
            }
            // The receive loop sees the call's final status (which names what the server refused); wait for it
            // so the writer reports that rather than the write's consequence of it.
            await _receiving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _writer.OnStreamFailed(this, e is RpcException rpc
                ? TrajectoryWriteException.FromRpc(rpc, _shard.Endpoint)
                : new TrajectoryWriteException($"writing to the insert stream of {_shard.Endpoint} failed: {e.Message}", StatusCode.Unavailable, e.Message, _shard.Endpoint, e));
        }
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            var responses = _call.ResponseStream;
            while (await responses.MoveNext().ConfigureAwait(false))
            {
                var response = responses.Current;
                switch (response.EventCase)
                {
                    case InsertResponse.EventOneofCase.Committed:
                        _writer.OnAcknowledged(this, response.Committed.Trajectory, response.Committed.Key, response.Committed.Steps);
                        break;
                    case InsertResponse.EventOneofCase.Abandoned:
                        _writer.OnAcknowledged(this, response.Abandoned.Trajectory, 0, 0);
                        break;
                }
            }
            _writer.OnStreamEnded(this);
        }
        catch (RpcException e)
        {
            _writer.OnStreamFailed(this, TrajectoryWriteException.FromRpc(e, _shard.Endpoint));
        }
        catch (Exception e)
        {
            _writer.OnStreamFailed(this, new TrajectoryWriteException($"reading the insert stream of {_shard.Endpoint} failed: {e.Message}", StatusCode.Internal, e.Message, _shard.Endpoint, e));
        }
    }

    /// <summary>Returns a message's column buffers (null: none) to the shared pool.</summary>
    internal static void Return(byte[][]? buffers)
    {
        if (buffers is null)
            return;
        foreach (var buffer in buffers)
            ArrayPool<byte>.Shared.Return(buffer);
    }

    private readonly record struct Outgoing(InsertRequest Request, byte[][]? Buffers, long Bytes);
}
