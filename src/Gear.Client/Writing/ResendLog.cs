namespace Gear.Client;

/// <summary>
/// The messages of one trajectory of a sharded writer that are kept, with their pooled buffers, until the
/// trajectory is acknowledged, so that it can be sent again, whole, to another shard if its shard fails.
/// Once a message could not be kept (the writer's <see cref="TrajectoryWriterOptions.MaxResendBytes"/> was
/// reached) the log is incomplete and the trajectory fails with its shard instead.
/// </summary>
internal sealed class ResendLog
{
    private readonly List<KeptMessage> _messages = [];

    /// <summary>Every message sent for the trajectory is kept.</summary>
    public bool IsComplete { get; private set; } = true;

    /// <summary>The kept messages, in the order they were sent.</summary>
    public IReadOnlyList<KeptMessage> Messages => _messages;

    public void Keep(Gear.Protocol.V1.InsertRequest request, byte[][] buffers, long bytes) => _messages.Add(new(request, buffers, bytes));

    /// <summary>A message was sent without being kept: the trajectory can no longer be resent.</summary>
    public void MarkIncomplete() => IsComplete = false;

    /// <summary>
    /// Drops the kept messages; returns their buffers to the pool when <paramref name="returnBuffers"/> (only
    /// safe once no connection can still be writing them: after the acknowledgement). Returns the bytes dropped.
    /// </summary>
    public long Drop(bool returnBuffers)
    {
        long bytes = 0;
        foreach (var message in _messages)
        {
            if (returnBuffers)
                InsertStreamConnection.Return(message.Buffers);
            bytes += message.Bytes;
        }
        _messages.Clear();
        return bytes;
    }

    /// <summary>One kept message: the request, the pooled buffers its columns wrap, and its step bytes.</summary>
    public readonly record struct KeptMessage(Gear.Protocol.V1.InsertRequest Request, byte[][] Buffers, long Bytes);
}
