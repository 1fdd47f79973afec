using Gear.Protocol.Rdma.Native;

namespace Gear.Protocol.Rdma;

/// <summary>
/// A work request completed with an error, or the peer broke the ring protocol. An <see cref="IOException"/>,
/// as a broken TCP connection is, so that a learner reconnects or falls back the same way.
/// </summary>
public sealed class RdmaCompletionException(string message, IbvWcStatus status = IbvWcStatus.Success) : IOException(message)
{
    /// <summary>The completion's status (Success when the peer broke the protocol rather than the fabric failing).</summary>
    public IbvWcStatus Status { get; } = status;

    /// <summary>An exception for a failed completion of <paramref name="what"/>.</summary>
    public static RdmaCompletionException Failed(string what, IbvWcStatus status) =>
        new($"rdma: {what} failed: {Describe(status)}", status);

    private static string Describe(IbvWcStatus status) => status switch
    {
        IbvWcStatus.RemoteAccessError => "remote access error (the peer refused the address or key; IBV_WC_REM_ACCESS_ERR)",
        IbvWcStatus.RetryExceeded => "the peer does not answer (gone or unreachable; IBV_WC_RETRY_EXC_ERR)",
        IbvWcStatus.ReceiverNotReadyRetryExceeded => "the peer posted no receive (IBV_WC_RNR_RETRY_EXC_ERR)",
        IbvWcStatus.WorkRequestFlushed => "flushed (the queue pair is in the error state; IBV_WC_WR_FLUSH_ERR)",
        _ => $"work completion status {status} ({(int)status})",
    };
}
