using Gear.Protocol.Rdma.Native;

namespace Gear.Protocol.Rdma.Loopback;

/// <summary>
/// A loopback queue pair: a native <c>ibv_qp</c> (what the ops table is handed) followed by a handle to this
/// object, its state machine as <c>ibv_modify_qp</c> enforces it, and its posted receives. Guarded by the
/// fabric's lock.
/// </summary>
internal sealed unsafe class LoopbackQueuePair : IDisposable
{
    private const int EInval = 22;

    private const IbvQpAttrMask ToInit = IbvQpAttrMask.State | IbvQpAttrMask.PkeyIndex | IbvQpAttrMask.Port | IbvQpAttrMask.AccessFlags;
    private const IbvQpAttrMask ToReadyToReceive = IbvQpAttrMask.State | IbvQpAttrMask.AddressVector | IbvQpAttrMask.PathMtu
        | IbvQpAttrMask.DestQpNum | IbvQpAttrMask.ReceivePsn | IbvQpAttrMask.MaxDestReadAtomic | IbvQpAttrMask.MinRnrTimer;
    private const IbvQpAttrMask ToReadyToSend = IbvQpAttrMask.State | IbvQpAttrMask.SendPsn | IbvQpAttrMask.Timeout
        | IbvQpAttrMask.RetryCount | IbvQpAttrMask.RnrRetry | IbvQpAttrMask.MaxReadAtomic;

    private readonly Queue<ulong> _receives;
    private readonly int _maxReceives;

    public LoopbackQueuePair(LoopbackVerbs fabric, IbvPd* pd, in IbvQpInitAttr init, uint number)
    {
        Fabric = fabric;
        SendCq = LoopbackCompletionQueue.From(init.SendCq);
        ReceiveCq = LoopbackCompletionQueue.From(init.RecvCq);
        SignalAll = init.SqSigAll != 0;
        _maxReceives = (int)init.Cap.MaxRecvWr;
        _receives = new Queue<ulong>(_maxReceives);
        Native = OwnedNative.Allocate<IbvQp>(this);
        Native->Context = pd->Context;
        Native->Pd = pd;
        Native->SendCq = init.SendCq;
        Native->RecvCq = init.RecvCq;
        Native->QpNum = number;
        Native->QpType = init.QpType;
        Native->State = IbvQpState.Reset;
    }

    public LoopbackVerbs Fabric { get; }

    public IbvQp* Native { get; private set; }

    public uint Number => Native->QpNum;

    public IbvQpState State
    {
        get => Native->State;
        set => Native->State = value;
    }

    public LoopbackCompletionQueue SendCq { get; }

    public LoopbackCompletionQueue ReceiveCq { get; }

    public bool SignalAll { get; }

    public IbvAccessFlags Access { get; private set; }

    public uint DestinationNumber { get; private set; }

    public uint ReceivePsn { get; private set; }

    public uint SendPsn { get; private set; }

    /// <summary>The queue pair behind a native pointer handed to the ops table.</summary>
    public static LoopbackQueuePair From(IbvQp* qp) => OwnedNative.Owner<IbvQp, LoopbackQueuePair>(qp);

    /// <summary>Applies a state transition as a provider checks it; returns 0 or EINVAL.</summary>
    public int Modify(in IbvQpAttr attributes, IbvQpAttrMask mask, in IbvPortAttr port, in IbvGid gid)
    {
        if ((mask & IbvQpAttrMask.State) == 0)
            return EInval;
        switch (attributes.QpState)
        {
            case IbvQpState.Init when State == IbvQpState.Reset && (mask & ToInit) == ToInit && attributes.PortNum == RdmaDevice.PortNumber:
                Access = attributes.QpAccessFlags;
                break;
            case IbvQpState.ReadyToReceive when State == IbvQpState.Init && (mask & ToReadyToReceive) == ToReadyToReceive && Reaches(attributes.AhAttr, port, gid)
                && attributes.PathMtu >= IbvMtu.Mtu256 && attributes.PathMtu <= port.ActiveMtu:
                DestinationNumber = attributes.DestQpNum;
                ReceivePsn = attributes.RqPsn;
                break;
            case IbvQpState.ReadyToSend when State == IbvQpState.ReadyToReceive && (mask & ToReadyToSend) == ToReadyToSend:
                SendPsn = attributes.SqPsn;
                break;
            case IbvQpState.Error:
                EnterError();
                return 0;
            case IbvQpState.Reset:
                _receives.Clear();
                break;
            default:
                return EInval;
        }
        State = attributes.QpState;
        return 0;
    }

    /// <summary>
    /// Whether the address vector names this fabric's one port the way its link layer requires: by GID with a
    /// global route on RoCE, by LID on InfiniBand.
    /// </summary>
    private static bool Reaches(in IbvAhAttr address, in IbvPortAttr port, in IbvGid gid) =>
        address.PortNum == RdmaDevice.PortNumber && (port.LinkLayer == IbvLinkLayer.Ethernet
            ? address.IsGlobal == 1 && address.Grh.Dgid.SubnetPrefix == gid.SubnetPrefix && address.Grh.Dgid.InterfaceId == gid.InterfaceId
            : address.Dlid == port.Lid);

    /// <summary>
    /// The error state, as a provider enters it after a failed work request: receives still posted complete as
    /// flushed (unless the queue pair vanished with its process), and later posts complete as flushed too.
    /// </summary>
    public void EnterError()
    {
        State = IbvQpState.Error;
        while (_receives.TryDequeue(out var receive))
            Flush(receive);
    }

    /// <summary>Completes receive <paramref name="requestId"/> as flushed (unless the queue pair vanished with its process).</summary>
    public void Flush(ulong requestId)
    {
        if (!Fabric.HasVanished(Number))
            ReceiveCq.Add(new IbvWc { WrId = requestId, Status = IbvWcStatus.WorkRequestFlushed, Opcode = IbvWcOpcode.Receive, QpNum = Number });
    }

    /// <summary>Queues a receive; false when the queue is full.</summary>
    public bool AddReceive(ulong requestId)
    {
        if (_receives.Count >= _maxReceives)
            return false;
        _receives.Enqueue(requestId);
        return true;
    }

    /// <summary>Takes the oldest posted receive.</summary>
    public bool TryTakeReceive(out ulong requestId) => _receives.TryDequeue(out requestId);

    public void Dispose()
    {
        if (Native == null)
            return;
        OwnedNative.Free(Native);
        Native = null;
    }
}
