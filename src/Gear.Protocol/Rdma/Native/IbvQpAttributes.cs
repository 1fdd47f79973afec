using System.Runtime.InteropServices;

namespace Gear.Protocol.Rdma.Native;

/// <summary><c>union ibv_gid</c>: a 128-bit global identifier (the address of a RoCE port), as raw bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct IbvGid
{
    /// <summary><c>global.subnet_prefix</c> (big-endian bytes 0–7).</summary>
    public ulong SubnetPrefix;

    /// <summary><c>global.interface_id</c> (big-endian bytes 8–15).</summary>
    public ulong InterfaceId;

    /// <summary>The 16 raw bytes.</summary>
    public Span<byte> Raw => MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref this, 1));

    /// <summary>Whether every byte is zero (a port without a GID).</summary>
    public readonly bool IsZero => SubnetPrefix == 0 && InterfaceId == 0;
}

/// <summary><c>struct ibv_global_route</c>: the GRH part of an address vector (RoCE, or routed InfiniBand).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct IbvGlobalRoute
{
    /// <summary>The peer's GID.</summary>
    public IbvGid Dgid;

    /// <summary>Flow label.</summary>
    public uint FlowLabel;

    /// <summary>Index of this side's GID in its port's table.</summary>
    public byte SgidIndex;

    /// <summary>Hop limit.</summary>
    public byte HopLimit;

    /// <summary>Traffic class.</summary>
    public byte TrafficClass;
}

/// <summary><c>struct ibv_ah_attr</c>: how to reach the peer (LID on InfiniBand, GID with <see cref="IsGlobal"/> on RoCE).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct IbvAhAttr
{
    /// <summary>Global route (used when <see cref="IsGlobal"/> is 1).</summary>
    public IbvGlobalRoute Grh;

    /// <summary>The peer's LID (InfiniBand).</summary>
    public ushort Dlid;

    /// <summary>Service level.</summary>
    public byte Sl;

    /// <summary>Source path bits.</summary>
    public byte SrcPathBits;

    /// <summary>Static rate.</summary>
    public byte StaticRate;

    /// <summary>1 when <see cref="Grh"/> is used.</summary>
    public byte IsGlobal;

    /// <summary>The local port.</summary>
    public byte PortNum;
}

/// <summary><c>struct ibv_qp_cap</c>: queue depths.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct IbvQpCap
{
    /// <summary>Send work requests outstanding at most.</summary>
    public uint MaxSendWr;

    /// <summary>Receive work requests outstanding at most.</summary>
    public uint MaxRecvWr;

    /// <summary>Scatter/gather entries per send.</summary>
    public uint MaxSendSge;

    /// <summary>Scatter/gather entries per receive.</summary>
    public uint MaxRecvSge;

    /// <summary>Inline bytes per send.</summary>
    public uint MaxInlineData;
}

/// <summary><c>struct ibv_qp_init_attr</c>: what <c>ibv_create_qp</c> creates.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct IbvQpInitAttr
{
    /// <summary>The user's context pointer.</summary>
    public nint QpContext;

    /// <summary>Completion queue of sends.</summary>
    public IbvCq* SendCq;

    /// <summary>Completion queue of receives.</summary>
    public IbvCq* RecvCq;

    /// <summary>Shared receive queue (none here).</summary>
    public nint Srq;

    /// <summary>Queue depths.</summary>
    public IbvQpCap Cap;

    /// <summary>Transport type.</summary>
    public IbvQpType QpType;

    /// <summary>1: every send completes with a completion; 0: only signaled ones.</summary>
    public int SqSigAll;
}

/// <summary><c>struct ibv_qp_attr</c>: the fields a state transition sets (which ones: <see cref="IbvQpAttrMask"/>).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct IbvQpAttr
{
    /// <summary>The state to move to.</summary>
    public IbvQpState QpState;

    /// <summary>The state assumed current.</summary>
    public IbvQpState CurQpState;

    /// <summary>Path MTU.</summary>
    public IbvMtu PathMtu;

    /// <summary>Path migration state.</summary>
    public int PathMigState;

    /// <summary>Q_Key (datagram only).</summary>
    public uint Qkey;

    /// <summary>First packet sequence number expected from the peer.</summary>
    public uint RqPsn;

    /// <summary>First packet sequence number sent.</summary>
    public uint SqPsn;

    /// <summary>The peer's queue pair number.</summary>
    public uint DestQpNum;

    /// <summary>What the peer may do to this side's memory (IBV_ACCESS_*).</summary>
    public IbvAccessFlags QpAccessFlags;

    /// <summary>Queue depths.</summary>
    public IbvQpCap Cap;

    /// <summary>How to reach the peer.</summary>
    public IbvAhAttr AhAttr;

    /// <summary>Alternate path.</summary>
    public IbvAhAttr AltAhAttr;

    /// <summary>P_Key index.</summary>
    public ushort PkeyIndex;

    /// <summary>Alternate P_Key index.</summary>
    public ushort AltPkeyIndex;

    /// <summary>Send-queue-drained notification.</summary>
    public byte EnSqdAsyncNotify;

    /// <summary>Whether the send queue is draining (query only).</summary>
    public byte SqDraining;

    /// <summary>Outstanding RDMA reads and atomics this side may start.</summary>
    public byte MaxRdAtomic;

    /// <summary>Outstanding RDMA reads and atomics the peer may start here.</summary>
    public byte MaxDestRdAtomic;

    /// <summary>Receiver-not-ready NAK timer.</summary>
    public byte MinRnrTimer;

    /// <summary>The local port.</summary>
    public byte PortNum;

    /// <summary>Local ACK timeout (4.096 µs × 2^timeout).</summary>
    public byte Timeout;

    /// <summary>Retries on a missing ACK before IBV_WC_RETRY_EXC_ERR.</summary>
    public byte RetryCnt;

    /// <summary>Retries on receiver-not-ready (7: forever).</summary>
    public byte RnrRetry;

    /// <summary>Alternate port.</summary>
    public byte AltPortNum;

    /// <summary>Alternate timeout.</summary>
    public byte AltTimeout;

    /// <summary>Rate limit (packet pacing).</summary>
    public uint RateLimit;
}

/// <summary><c>struct ibv_port_attr</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct IbvPortAttr
{
    /// <summary>Port state (<see cref="IbvPortState.Active"/> when usable).</summary>
    public IbvPortState State;

    /// <summary>Largest MTU.</summary>
    public IbvMtu MaxMtu;

    /// <summary>MTU in use.</summary>
    public IbvMtu ActiveMtu;

    /// <summary>GID table entries.</summary>
    public int GidTblLen;

    /// <summary>Capability flags.</summary>
    public uint PortCapFlags;

    /// <summary>Largest message.</summary>
    public uint MaxMsgSz;

    /// <summary>Bad P_Key counter.</summary>
    public uint BadPkeyCntr;

    /// <summary>Q_Key violation counter.</summary>
    public uint QkeyViolCntr;

    /// <summary>P_Key table entries.</summary>
    public ushort PkeyTblLen;

    /// <summary>The port's LID (InfiniBand).</summary>
    public ushort Lid;

    /// <summary>The subnet manager's LID.</summary>
    public ushort SmLid;

    /// <summary>LID mask control.</summary>
    public byte Lmc;

    /// <summary>Virtual lanes.</summary>
    public byte MaxVlNum;

    /// <summary>The subnet manager's service level.</summary>
    public byte SmSl;

    /// <summary>Subnet timeout.</summary>
    public byte SubnetTimeout;

    /// <summary>Init type reply.</summary>
    public byte InitTypeReply;

    /// <summary>Active width.</summary>
    public byte ActiveWidth;

    /// <summary>Active speed.</summary>
    public byte ActiveSpeed;

    /// <summary>Physical state.</summary>
    public byte PhysState;

    /// <summary>InfiniBand or Ethernet (RoCE).</summary>
    public IbvLinkLayer LinkLayer;

    /// <summary>Flags.</summary>
    public byte Flags;

    /// <summary>More capability flags.</summary>
    public ushort PortCapFlags2;
}
