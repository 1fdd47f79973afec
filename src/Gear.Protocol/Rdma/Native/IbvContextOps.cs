using System.Runtime.InteropServices;

namespace Gear.Protocol.Rdma.Native;

/// <summary>
/// <c>struct ibv_context_ops</c>: 32 function pointers, most of them compatibility slots this code never
/// calls. <c>ibv_post_send</c>, <c>ibv_post_recv</c> and <c>ibv_poll_cq</c> are static inline in verbs.h and
/// jump through these three slots, so the bindings call them the same way. The offsets are those of x86-64
/// and aarch64 Linux (LP64), checked against the installed header by the layout test.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 32 * 8)]
public unsafe struct IbvContextOps
{
    /// <summary><c>int (*poll_cq)(struct ibv_cq *, int num_entries, struct ibv_wc *)</c>.</summary>
    [FieldOffset(11 * 8)]
    public delegate* unmanaged<IbvCq*, int, IbvWc*, int> PollCq;

    /// <summary><c>int (*post_send)(struct ibv_qp *, struct ibv_send_wr *, struct ibv_send_wr **bad_wr)</c>.</summary>
    [FieldOffset(25 * 8)]
    public delegate* unmanaged<IbvQp*, IbvSendWr*, IbvSendWr**, int> PostSend;

    /// <summary><c>int (*post_recv)(struct ibv_qp *, struct ibv_recv_wr *, struct ibv_recv_wr **bad_wr)</c>.</summary>
    [FieldOffset(26 * 8)]
    public delegate* unmanaged<IbvQp*, IbvRecvWr*, IbvRecvWr**, int> PostRecv;
}
