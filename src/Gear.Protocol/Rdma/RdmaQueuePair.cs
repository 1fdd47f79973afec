using System.Security.Cryptography;
using Gear.Protocol.Rdma.Native;

namespace Gear.Protocol.Rdma;

/// <summary>
/// A reliable-connected queue pair with its own send and receive completion queues, taken through
/// RESET → INIT → RTR → RTS, and its data-path operations. Posting and polling allocate nothing: the work
/// requests live on the stack for the duration of the call (the provider copies them into its queue).
/// </summary>
public sealed unsafe class RdmaQueuePair : IDisposable
{
    // Transport settings of the connection: ~0.5 s ACK timeout (4.096 µs × 2^17) and 7 retries, so a vanished
    // peer shows as IBV_WC_RETRY_EXC_ERR within seconds; receiver-not-ready retried without limit (7), since a
    // credit can race a receive being posted again.
    private const byte AckTimeout = 17;
    private const byte RetryCount = 7;
    private const byte RnrRetryForever = 7;
    private const byte MinRnrTimer = 12;

    private readonly RdmaDevice _device;
    private IbvCq* _sendCq;
    private IbvCq* _recvCq;
    private IbvQp* _qp;

    /// <summary>Creates the completion queues and the queue pair (state RESET).</summary>
    public RdmaQueuePair(RdmaDevice device, int sendDepth, int receiveDepth)
    {
        _device = device;
        var verbs = device.Verbs;
        _sendCq = verbs.CreateCq(device.Context, sendDepth);
        try
        {
            _recvCq = verbs.CreateCq(device.Context, receiveDepth);
            var init = new IbvQpInitAttr
            {
                SendCq = _sendCq,
                RecvCq = _recvCq,
                QpType = IbvQpType.ReliableConnected,
                Cap = new IbvQpCap { MaxSendWr = (uint)sendDepth, MaxRecvWr = (uint)receiveDepth, MaxSendSge = 1, MaxRecvSge = 1 },
            };
            _qp = verbs.CreateQp(device.ProtectionDomain, init);
        }
        catch
        {
            Dispose();
            throw;
        }
        // A random first packet sequence number (24 bits), so a stale packet of an earlier connection is not taken for this one's.
        Local = new RdmaPeerAddress(_qp->QpNum, (uint)RandomNumberGenerator.GetInt32(1 << 24), device.Port.Lid, device.Gid, device.Port.ActiveMtu);
    }

    /// <summary>This side's address, for the peer's <see cref="Connect"/>.</summary>
    public RdmaPeerAddress Local { get; }

    /// <summary>The queue pair's state as last set here.</summary>
    public IbvQpState State { get; private set; } = IbvQpState.Reset;

    /// <summary>RESET → INIT: receives may be posted from here on; the peer may write (remote write access).</summary>
    public void Initialize()
    {
        var attributes = new IbvQpAttr
        {
            QpState = IbvQpState.Init,
            PkeyIndex = 0,
            PortNum = RdmaDevice.PortNumber,
            QpAccessFlags = IbvAccessFlags.LocalWrite | IbvAccessFlags.RemoteWrite,
        };
        Modify(attributes, IbvQpAttrMask.State | IbvQpAttrMask.PkeyIndex | IbvQpAttrMask.Port | IbvQpAttrMask.AccessFlags, IbvQpState.Init);
    }

    /// <summary>(RESET →) INIT → RTR → RTS towards <paramref name="remote"/>: addressed by GID on RoCE, by LID on InfiniBand.</summary>
    public void Connect(in RdmaPeerAddress remote)
    {
        if (State == IbvQpState.Reset)
            Initialize();
        var ready = new IbvQpAttr
        {
            QpState = IbvQpState.ReadyToReceive,
            PathMtu = (IbvMtu)Math.Min((int)_device.Port.ActiveMtu, (int)remote.Mtu),
            DestQpNum = remote.QueuePairNumber,
            RqPsn = remote.PacketSequenceNumber,
            MaxDestRdAtomic = 1,
            MinRnrTimer = MinRnrTimer,
        };
        ready.AhAttr.PortNum = RdmaDevice.PortNumber;
        if (_device.AddressedByGid)
        {
            ready.AhAttr.IsGlobal = 1;
            ready.AhAttr.Grh.Dgid = remote.Gid;
            ready.AhAttr.Grh.SgidIndex = RdmaDevice.GidIndex;
            ready.AhAttr.Grh.HopLimit = 64;
        }
        else
        {
            ready.AhAttr.Dlid = remote.Lid;
        }
        Modify(ready, IbvQpAttrMask.State | IbvQpAttrMask.AddressVector | IbvQpAttrMask.PathMtu | IbvQpAttrMask.DestQpNum
            | IbvQpAttrMask.ReceivePsn | IbvQpAttrMask.MaxDestReadAtomic | IbvQpAttrMask.MinRnrTimer, IbvQpState.ReadyToReceive);
        var send = new IbvQpAttr
        {
            QpState = IbvQpState.ReadyToSend,
            SqPsn = Local.PacketSequenceNumber,
            Timeout = AckTimeout,
            RetryCnt = RetryCount,
            RnrRetry = RnrRetryForever,
            MaxRdAtomic = 1,
        };
        Modify(send, IbvQpAttrMask.State | IbvQpAttrMask.SendPsn | IbvQpAttrMask.Timeout | IbvQpAttrMask.RetryCount
            | IbvQpAttrMask.RnrRetry | IbvQpAttrMask.MaxReadAtomic, IbvQpState.ReadyToSend);
    }

    /// <summary>
    /// Posts an RDMA write of <paramref name="length"/> bytes at <paramref name="local"/> (in <paramref name="source"/>)
    /// to the peer's <paramref name="remoteAddress"/>; with <paramref name="immediate"/> (wire order) it is a write
    /// with immediate data, which consumes one of the peer's receives. A zero-length write without immediate data
    /// touches no memory: it only proves the peer is there.
    /// </summary>
    public void PostWrite(ulong requestId, RdmaMemory? source, byte* local, int length, ulong remoteAddress, uint remoteKey, uint? immediate, bool signaled)
    {
        var sge = new IbvSge { Addr = (ulong)local, Length = (uint)length, Lkey = source?.LocalKey ?? 0 };
        var request = new IbvSendWr
        {
            WrId = requestId,
            SgList = length > 0 ? &sge : null,
            NumSge = length > 0 ? 1 : 0,
            Opcode = immediate is null ? IbvWrOpcode.RdmaWrite : IbvWrOpcode.RdmaWriteWithImm,
            SendFlags = signaled ? IbvSendFlags.Signaled : IbvSendFlags.None,
            ImmData = immediate ?? 0,
            RemoteAddr = remoteAddress,
            Rkey = remoteKey,
        };
        VerbsOps.PostSend(_qp, &request);
    }

    /// <summary>Posts a zero-length send carrying only <paramref name="immediate"/> (wire order): it consumes one of the peer's receives.</summary>
    public void PostSendImmediate(ulong requestId, uint immediate, bool signaled)
    {
        var request = new IbvSendWr
        {
            WrId = requestId,
            Opcode = IbvWrOpcode.SendWithImm,
            SendFlags = signaled ? IbvSendFlags.Signaled : IbvSendFlags.None,
            ImmData = immediate,
        };
        VerbsOps.PostSend(_qp, &request);
    }

    /// <summary>Posts a receive without buffers: enough for writes with immediate data and zero-length sends.</summary>
    public void PostReceive(ulong requestId)
    {
        var request = new IbvRecvWr { WrId = requestId };
        VerbsOps.PostRecv(_qp, &request);
    }

    /// <summary>Takes completions of sends and writes.</summary>
    public int PollSends(Span<IbvWc> completions) => VerbsOps.PollCq(_sendCq, completions);

    /// <summary>Takes completions of receives.</summary>
    public int PollReceives(Span<IbvWc> completions) => VerbsOps.PollCq(_recvCq, completions);

    private void Modify(in IbvQpAttr attributes, IbvQpAttrMask mask, IbvQpState state)
    {
        _device.Verbs.ModifyQp(_qp, attributes, mask);
        State = state;
    }

    /// <summary>Destroys the queue pair, then its completion queues.</summary>
    public void Dispose()
    {
        var verbs = _device.Verbs;
        if (_qp != null)
            verbs.DestroyQp(_qp);
        if (_recvCq != null)
            verbs.DestroyCq(_recvCq);
        if (_sendCq != null)
            verbs.DestroyCq(_sendCq);
        _qp = null;
        _recvCq = null;
        _sendCq = null;
    }
}
