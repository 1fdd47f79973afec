using System.Runtime.InteropServices;

namespace Gear.Protocol.Rdma.Native;

/// <summary><c>struct ibv_sge</c>: one scatter/gather entry in registered memory.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct IbvSge
{
    /// <summary>Start address.</summary>
    public ulong Addr;

    /// <summary>Bytes.</summary>
    public uint Length;

    /// <summary>Local key of the region holding the bytes.</summary>
    public uint Lkey;
}

/// <summary>
/// <c>struct ibv_send_wr</c>. Only the RDMA member of the <c>wr</c> union is declared (writes are all this
/// code posts); the size covers the whole C struct, unions included, since the provider may read any of it.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
public unsafe struct IbvSendWr
{
    /// <summary>The caller's id, returned in the completion.</summary>
    [FieldOffset(0)]
    public ulong WrId;

    /// <summary>The next request of a chain (null: the last).</summary>
    [FieldOffset(8)]
    public IbvSendWr* Next;

    /// <summary>Scatter/gather entries (the local bytes).</summary>
    [FieldOffset(16)]
    public IbvSge* SgList;

    /// <summary>Entries in <see cref="SgList"/>.</summary>
    [FieldOffset(24)]
    public int NumSge;

    /// <summary>What the request does.</summary>
    [FieldOffset(28)]
    public IbvWrOpcode Opcode;

    /// <summary>IBV_SEND_* flags.</summary>
    [FieldOffset(32)]
    public IbvSendFlags SendFlags;

    /// <summary>Immediate data, in network byte order.</summary>
    [FieldOffset(36)]
    public uint ImmData;

    /// <summary><c>wr.rdma.remote_addr</c>: where in the peer's registered memory to write.</summary>
    [FieldOffset(40)]
    public ulong RemoteAddr;

    /// <summary><c>wr.rdma.rkey</c>: the peer's remote key for that memory.</summary>
    [FieldOffset(48)]
    public uint Rkey;
}

/// <summary><c>struct ibv_recv_wr</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct IbvRecvWr
{
    /// <summary>The caller's id, returned in the completion.</summary>
    public ulong WrId;

    /// <summary>The next request of a chain (null: the last).</summary>
    public IbvRecvWr* Next;

    /// <summary>Where a received send lands (writes with immediate data need none).</summary>
    public IbvSge* SgList;

    /// <summary>Entries in <see cref="SgList"/>.</summary>
    public int NumSge;
}

/// <summary><c>struct ibv_wc</c>: one work completion.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct IbvWc
{
    /// <summary>The id of the completed work request.</summary>
    public ulong WrId;

    /// <summary>Success or the reason it failed.</summary>
    public IbvWcStatus Status;

    /// <summary>What completed.</summary>
    public IbvWcOpcode Opcode;

    /// <summary>The vendor's error detail.</summary>
    public uint VendorErr;

    /// <summary>Bytes received (receives only).</summary>
    public uint ByteLen;

    /// <summary>Immediate data in network byte order (when <see cref="WcFlags"/> has WithImm).</summary>
    public uint ImmData;

    /// <summary>The local queue pair.</summary>
    public uint QpNum;

    /// <summary>The sending queue pair (unreliable datagram only).</summary>
    public uint SrcQp;

    /// <summary>IBV_WC_* flags.</summary>
    public IbvWcFlags WcFlags;

    /// <summary>P_Key index.</summary>
    public ushort PkeyIndex;

    /// <summary>Source LID.</summary>
    public ushort Slid;

    /// <summary>Service level.</summary>
    public byte Sl;

    /// <summary>Destination LID path bits.</summary>
    public byte DlidPathBits;
}
