using System.Buffers;
using Gear.Protocol.V1;

namespace Gear.Client;

/// <summary>
/// The messages of one trajectory of a sharded writer that are kept, with their pooled buffers, until the
/// trajectory is acknowledged, so that it can be sent again, whole, to another shard if its shard fails.
/// Once a message could not be kept (the writer's <see cref="TrajectoryWriterOptions.MaxResendBytes"/> was
/// reached) the log is incomplete and the trajectory fails with its shard instead.
/// </summary>
internal sealed class ResendLog
{
    private readonly List<InsertRequest> _requests = [];
    private readonly List<byte[][]> _buffers = [];

    /// <summary>Every message sent for the trajectory is kept.</summary>
    public bool IsComplete { get; private set; } = true;

    /// <summary>Step bytes kept.</summary>
    public long Bytes { get; private set; }

    /// <summary>The kept messages, in the order they were sent.</summary>
    public IReadOnlyList<InsertRequest> Requests => _requests;

    public void Keep(InsertRequest request, byte[][] buffers, long bytes)
    {
        _requests.Add(request);
        _buffers.Add(buffers);
        Bytes += bytes;
    }

    /// <summary>A message was sent without being kept: the trajectory can no longer be resent.</summary>
    public void MarkIncomplete() => IsComplete = false;

    /// <summary>
    /// Drops the kept messages; returns their buffers to the pool when <paramref name="returnBuffers"/> (only
    /// safe once no connection can still be writing them: after the acknowledgement). Returns the bytes dropped.
    /// </summary>
    public long Drop(bool returnBuffers)
    {
        if (returnBuffers)
        {
            foreach (var buffers in _buffers)
            {
                foreach (var buffer in buffers)
                    ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        var bytes = Bytes;
        _requests.Clear();
        _buffers.Clear();
        Bytes = 0;
        return bytes;
    }
}
