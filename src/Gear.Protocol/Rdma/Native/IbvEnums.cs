namespace Gear.Protocol.Rdma.Native;

/// <summary><c>enum ibv_qp_state</c>.</summary>
public enum IbvQpState
{
    /// <summary>IBV_QPS_RESET.</summary>
    Reset,
    /// <summary>IBV_QPS_INIT.</summary>
    Init,
    /// <summary>IBV_QPS_RTR: ready to receive.</summary>
    ReadyToReceive,
    /// <summary>IBV_QPS_RTS: ready to send.</summary>
    ReadyToSend,
    /// <summary>IBV_QPS_SQD.</summary>
    SendQueueDrained,
    /// <summary>IBV_QPS_SQE.</summary>
    SendQueueError,
    /// <summary>IBV_QPS_ERR.</summary>
    Error,
}

/// <summary><c>enum ibv_qp_type</c> (the values used here).</summary>
public enum IbvQpType
{
    /// <summary>IBV_QPT_RC: reliable connected.</summary>
    ReliableConnected = 2,
}

/// <summary><c>enum ibv_qp_attr_mask</c>: which fields of <see cref="IbvQpAttr"/> a modify sets.</summary>
[Flags]
public enum IbvQpAttrMask
{
    /// <summary>IBV_QP_STATE.</summary>
    State = 1 << 0,
    /// <summary>IBV_QP_ACCESS_FLAGS.</summary>
    AccessFlags = 1 << 3,
    /// <summary>IBV_QP_PKEY_INDEX.</summary>
    PkeyIndex = 1 << 4,
    /// <summary>IBV_QP_PORT.</summary>
    Port = 1 << 5,
    /// <summary>IBV_QP_AV: the address vector (the peer's LID or GID).</summary>
    AddressVector = 1 << 7,
    /// <summary>IBV_QP_PATH_MTU.</summary>
    PathMtu = 1 << 8,
    /// <summary>IBV_QP_TIMEOUT.</summary>
    Timeout = 1 << 9,
    /// <summary>IBV_QP_RETRY_CNT.</summary>
    RetryCount = 1 << 10,
    /// <summary>IBV_QP_RNR_RETRY.</summary>
    RnrRetry = 1 << 11,
    /// <summary>IBV_QP_RQ_PSN.</summary>
    ReceivePsn = 1 << 12,
    /// <summary>IBV_QP_MAX_QP_RD_ATOMIC.</summary>
    MaxReadAtomic = 1 << 13,
    /// <summary>IBV_QP_MIN_RNR_TIMER.</summary>
    MinRnrTimer = 1 << 15,
    /// <summary>IBV_QP_SQ_PSN.</summary>
    SendPsn = 1 << 16,
    /// <summary>IBV_QP_MAX_DEST_RD_ATOMIC.</summary>
    MaxDestReadAtomic = 1 << 17,
    /// <summary>IBV_QP_DEST_QPN.</summary>
    DestQpNum = 1 << 20,
}

/// <summary><c>enum ibv_access_flags</c> (the values used here).</summary>
[Flags]
public enum IbvAccessFlags
{
    /// <summary>IBV_ACCESS_LOCAL_WRITE.</summary>
    LocalWrite = 1 << 0,
    /// <summary>IBV_ACCESS_REMOTE_WRITE.</summary>
    RemoteWrite = 1 << 1,
}

/// <summary><c>enum ibv_wr_opcode</c> (the values used here).</summary>
public enum IbvWrOpcode
{
    /// <summary>IBV_WR_RDMA_WRITE.</summary>
    RdmaWrite = 0,
    /// <summary>IBV_WR_RDMA_WRITE_WITH_IMM: a write that also consumes a receive at the peer, with 32 bits of immediate data.</summary>
    RdmaWriteWithImm = 1,
    /// <summary>IBV_WR_SEND.</summary>
    Send = 2,
    /// <summary>IBV_WR_SEND_WITH_IMM.</summary>
    SendWithImm = 3,
}

/// <summary><c>enum ibv_send_flags</c> (the values used here).</summary>
[Flags]
public enum IbvSendFlags : uint
{
    /// <summary>No flags: the work request completes silently unless it fails.</summary>
    None = 0,
    /// <summary>IBV_SEND_SIGNALED: a completion for this request even when it succeeds.</summary>
    Signaled = 1 << 1,
}

/// <summary><c>enum ibv_wc_status</c>.</summary>
public enum IbvWcStatus
{
    /// <summary>IBV_WC_SUCCESS.</summary>
    Success,
    /// <summary>IBV_WC_LOC_LEN_ERR.</summary>
    LocalLengthError,
    /// <summary>IBV_WC_LOC_QP_OP_ERR.</summary>
    LocalQpOperationError,
    /// <summary>IBV_WC_LOC_EEC_OP_ERR.</summary>
    LocalEecOperationError,
    /// <summary>IBV_WC_LOC_PROT_ERR.</summary>
    LocalProtectionError,
    /// <summary>IBV_WC_WR_FLUSH_ERR: the queue pair went to the error state before this request ran.</summary>
    WorkRequestFlushed,
    /// <summary>IBV_WC_MW_BIND_ERR.</summary>
    MemoryWindowBindError,
    /// <summary>IBV_WC_BAD_RESP_ERR.</summary>
    BadResponse,
    /// <summary>IBV_WC_LOC_ACCESS_ERR.</summary>
    LocalAccessError,
    /// <summary>IBV_WC_REM_INV_REQ_ERR.</summary>
    RemoteInvalidRequest,
    /// <summary>IBV_WC_REM_ACCESS_ERR: the peer refused the rkey or the address range.</summary>
    RemoteAccessError,
    /// <summary>IBV_WC_REM_OP_ERR.</summary>
    RemoteOperationError,
    /// <summary>IBV_WC_RETRY_EXC_ERR: the peer did not answer (gone, or the path is down).</summary>
    RetryExceeded,
    /// <summary>IBV_WC_RNR_RETRY_EXC_ERR: the peer had no receive posted.</summary>
    ReceiverNotReadyRetryExceeded,
}

/// <summary><c>enum ibv_wc_opcode</c> (the values used here).</summary>
public enum IbvWcOpcode
{
    /// <summary>IBV_WC_SEND.</summary>
    Send = 0,
    /// <summary>IBV_WC_RDMA_WRITE.</summary>
    RdmaWrite = 1,
    /// <summary>IBV_WC_RECV.</summary>
    Receive = 1 << 7,
    /// <summary>IBV_WC_RECV_RDMA_WITH_IMM: a peer's write with immediate data landed.</summary>
    ReceiveRdmaWithImm = (1 << 7) + 1,
}

/// <summary><c>enum ibv_wc_flags</c> (the values used here).</summary>
[Flags]
public enum IbvWcFlags : uint
{
    /// <summary>IBV_WC_WITH_IMM: the completion carries immediate data.</summary>
    WithImm = 1 << 1,
}

/// <summary><c>enum ibv_port_state</c> (the values used here).</summary>
public enum IbvPortState
{
    /// <summary>IBV_PORT_ACTIVE.</summary>
    Active = 4,
}

/// <summary>The port's link layer (IBV_LINK_LAYER_*).</summary>
public enum IbvLinkLayer : byte
{
    /// <summary>IBV_LINK_LAYER_UNSPECIFIED (older drivers: InfiniBand).</summary>
    Unspecified,
    /// <summary>IBV_LINK_LAYER_INFINIBAND: peers are addressed by LID.</summary>
    InfiniBand,
    /// <summary>IBV_LINK_LAYER_ETHERNET (RoCE): peers are addressed by GID.</summary>
    Ethernet,
}

/// <summary><c>enum ibv_mtu</c>.</summary>
public enum IbvMtu
{
    /// <summary>IBV_MTU_256.</summary>
    Mtu256 = 1,
    /// <summary>IBV_MTU_512.</summary>
    Mtu512,
    /// <summary>IBV_MTU_1024.</summary>
    Mtu1024,
    /// <summary>IBV_MTU_2048.</summary>
    Mtu2048,
    /// <summary>IBV_MTU_4096.</summary>
    Mtu4096,
}
