using System.Runtime.InteropServices;

namespace Gear.Protocol.Rdma.Native;

/// <summary><c>struct ibv_device</c>: opaque here (only passed back to libibverbs).</summary>
public struct IbvDevice
{
}

/// <summary><c>struct ibv_pd</c>: a protection domain.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct IbvPd
{
    /// <summary>The context it belongs to.</summary>
    public IbvContext* Context;

    /// <summary>The kernel's handle.</summary>
    public uint Handle;
}

/// <summary><c>struct ibv_mr</c>: a registered memory region and its keys.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct IbvMr
{
    /// <summary>The context it belongs to.</summary>
    public IbvContext* Context;

    /// <summary>The protection domain it was registered in.</summary>
    public IbvPd* Pd;

    /// <summary>Start of the region.</summary>
    public void* Addr;

    /// <summary>Bytes registered.</summary>
    public nuint Length;

    /// <summary>The kernel's handle.</summary>
    public uint Handle;

    /// <summary>Local key: names the region in this side's scatter/gather entries.</summary>
    public uint Lkey;

    /// <summary>Remote key: what a peer presents to write into the region.</summary>
    public uint Rkey;
}

/// <summary>
/// The leading fields of <c>struct ibv_cq</c> (the context is what <c>ibv_poll_cq</c> reads to find the ops
/// table). The rest (a mutex and condition variable) is never touched from C#.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct IbvCq
{
    /// <summary>The context it belongs to.</summary>
    public IbvContext* Context;

    /// <summary><c>struct ibv_comp_channel *channel</c>.</summary>
    public nint Channel;

    /// <summary>The user's context pointer.</summary>
    public nint CqContext;

    /// <summary>The kernel's handle.</summary>
    public uint Handle;

    /// <summary>Completion entries the queue holds.</summary>
    public int Cqe;
}

/// <summary>
/// The leading fields of <c>struct ibv_qp</c>, up to its type (the rest, a mutex and condition variable, is
/// never touched from C#).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct IbvQp
{
    /// <summary>The context it belongs to (<c>ibv_post_send</c> reads the ops table there).</summary>
    public IbvContext* Context;

    /// <summary>The user's context pointer.</summary>
    public nint QpContext;

    /// <summary>The protection domain.</summary>
    public IbvPd* Pd;

    /// <summary>Completion queue of sends.</summary>
    public IbvCq* SendCq;

    /// <summary>Completion queue of receives.</summary>
    public IbvCq* RecvCq;

    /// <summary>Shared receive queue (none here).</summary>
    public nint Srq;

    /// <summary>The kernel's handle.</summary>
    public uint Handle;

    /// <summary>The queue pair number the peer addresses.</summary>
    public uint QpNum;

    /// <summary>Current state.</summary>
    public IbvQpState State;

    /// <summary>Transport type.</summary>
    public IbvQpType QpType;
}
