using Gear.Protocol.Rdma.Native;

namespace Gear.Protocol.Rdma;

/// <summary>
/// The data-path verbs. In verbs.h <c>ibv_post_send</c>, <c>ibv_post_recv</c> and <c>ibv_poll_cq</c> are
/// static inline functions that jump through the owning context's ops table, so there is no symbol to bind:
/// these do the same jump. No allocation, no locking: they are the per-batch hot path.
/// </summary>
public static unsafe class VerbsOps
{
    /// <summary>Posts one send work request; throws <see cref="VerbsException"/> (ibv_post_send) when the provider refuses it.</summary>
    public static void PostSend(IbvQp* qp, IbvSendWr* request)
    {
        IbvSendWr* bad;
        var error = qp->Context->Ops.PostSend(qp, request, &bad);
        if (error != 0)
            throw VerbsException.FromErrno("ibv_post_send", error);
    }

    /// <summary>Posts one receive work request; throws <see cref="VerbsException"/> (ibv_post_recv) when the provider refuses it.</summary>
    public static void PostRecv(IbvQp* qp, IbvRecvWr* request)
    {
        IbvRecvWr* bad;
        var error = qp->Context->Ops.PostRecv(qp, request, &bad);
        if (error != 0)
            throw VerbsException.FromErrno("ibv_post_recv", error);
    }

    /// <summary>Takes up to <paramref name="completions"/>.Length completions; returns how many.</summary>
    public static int PollCq(IbvCq* cq, Span<IbvWc> completions)
    {
        int polled;
        fixed (IbvWc* entries = completions)
            polled = cq->Context->Ops.PollCq(cq, completions.Length, entries);
        if (polled < 0)
            throw VerbsException.FromErrno("ibv_poll_cq", -polled);
        return polled;
    }
}
