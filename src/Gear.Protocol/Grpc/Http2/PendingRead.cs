namespace Gear.Protocol.Grpc.Http2;

/// <summary>
/// A read waiting for DATA: the read loop receives straight into <see cref="Remaining"/> (no copy through a
/// buffer) until <see cref="Minimum"/> bytes are there or the stream ends. Only the loop completes it, so the
/// destination is never written after the reader has been told it is done.
/// </summary>
internal sealed class PendingRead(Memory<byte> destination, int minimum, int filled)
{
    private readonly TaskCompletionSource<int> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Minimum { get; } = minimum;

    public int Filled { get; set; } = filled;

    public bool IsSatisfied => Filled >= Minimum;

    public Memory<byte> Remaining => destination[Filled..];

    public Task<int> Task => _done.Task;

    /// <summary>Hands the reader what was filled (less than the minimum only at the end of the stream).</summary>
    public void Complete() => _done.TrySetResult(Filled);

    public void Fail(Exception reason) => _done.TrySetException(reason);
}
