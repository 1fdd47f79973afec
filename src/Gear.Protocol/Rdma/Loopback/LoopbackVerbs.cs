using System.Runtime.InteropServices;
using Gear.Protocol.Rdma.Native;

namespace Gear.Protocol.Rdma.Loopback;

/// <summary>
/// An in-process RDMA device and the fabric behind it, for machines without RDMA hardware (tests and
/// benchmarks): one device, port 1, InfiniBand (addressed by LID) or RoCE (addressed by GID). Its contexts
/// are real native <c>ibv_context</c> structs whose ops-table slots are <see cref="LoopbackOps"/>'
/// unmanaged functions, so the transport's post/poll path runs exactly as against a provider: an RDMA write
/// is a memcpy into the peer's registered memory, checked against its rkey, and completions appear on the
/// completion queues. Control-path calls enforce what a provider does (state transitions in order, the
/// attributes each needs, LID or GID addressing) and fail with <see cref="VerbsException"/>. Faults can be
/// injected: a failed completion, or a peer that vanishes as a crashed process does.
/// </summary>
public sealed unsafe class LoopbackVerbs : IVerbs, IDisposable
{
    private const int EInval = 22;

    private readonly object _gate = new();
    private readonly Dictionary<uint, LoopbackQueuePair> _queuePairs = [];
    private readonly Dictionary<uint, LoopbackRegion> _regionsByLocalKey = [];
    private readonly Dictionary<uint, LoopbackRegion> _regionsByRemoteKey = [];
    private readonly HashSet<uint> _vanished = [];
    private readonly int _deviceCount;
    private readonly IbvPortAttr _port;
    private readonly IbvGid _gid;
    private IbvDevice* _device;
    private uint _nextQueuePair = 0x100;
    private uint _nextKey = 0x1000;
    private IbvWcStatus? _nextSendFails;

    /// <summary>A fabric with <paramref name="deviceCount"/> devices (0: "no RDMA device") whose port has <paramref name="linkLayer"/>.</summary>
    public LoopbackVerbs(IbvLinkLayer linkLayer = IbvLinkLayer.InfiniBand, int deviceCount = 1, bool portActive = true)
    {
        _deviceCount = deviceCount;
        _device = (IbvDevice*)NativeMemory.AllocZeroed(1);
        _port = new IbvPortAttr
        {
            State = portActive ? IbvPortState.Active : (IbvPortState)1,
            MaxMtu = IbvMtu.Mtu4096,
            ActiveMtu = IbvMtu.Mtu4096,
            GidTblLen = 1,
            Lid = linkLayer == IbvLinkLayer.Ethernet ? (ushort)0 : (ushort)0x2a,
            LinkLayer = linkLayer,
        };
        // fe80::/64 link-local prefix and an interface id, as a port's default GID looks.
        _gid = new IbvGid { SubnetPrefix = 0x80FE, InterfaceId = 0x0102_0304_0506_0708 };
    }

    /// <summary>The device's name.</summary>
    public const string DeviceName = "loopback0";

    /// <summary>Queue pairs alive (tests check that a session released its own).</summary>
    public int QueuePairs
    {
        get
        {
            lock (_gate)
                return _queuePairs.Count;
        }
    }

    /// <summary>Memory regions registered (tests check that a session deregistered its own).</summary>
    public int Regions
    {
        get
        {
            lock (_gate)
                return _regionsByLocalKey.Count;
        }
    }

    /// <summary>The queue pair numbers alive, oldest first.</summary>
    public uint[] QueuePairNumbers()
    {
        lock (_gate)
            return [.. _queuePairs.Keys.Order()];
    }

    /// <summary>The next send or write posted on any queue pair completes with <paramref name="status"/> and takes its queue pair to the error state.</summary>
    public void FailNextSend(IbvWcStatus status)
    {
        lock (_gate)
            _nextSendFails = status;
    }

    /// <summary>
    /// Queue pair <paramref name="number"/> vanishes as a crashed process's does: no completions for its side,
    /// and its peer's next send finds nobody (IBV_WC_RETRY_EXC_ERR). Its owner may still destroy it.
    /// </summary>
    public void Vanish(uint number)
    {
        lock (_gate)
        {
            _vanished.Add(number);
            if (_queuePairs.TryGetValue(number, out var qp))
                qp.EnterError();
        }
    }

    /// <inheritdoc/>
    public IbvDevice** GetDeviceList(out int count)
    {
        count = _deviceCount;
        var list = (IbvDevice**)NativeMemory.AllocZeroed((nuint)((_deviceCount + 1) * sizeof(nint)));
        for (var i = 0; i < _deviceCount; i++)
            list[i] = _device;
        return list;
    }

    /// <inheritdoc/>
    public void FreeDeviceList(IbvDevice** list) => NativeMemory.Free(list);

    /// <inheritdoc/>
    public string GetDeviceName(IbvDevice* device) => DeviceName;

    /// <inheritdoc/>
    public IbvContext* OpenDevice(IbvDevice* device)
    {
        if (device != _device)
            throw VerbsException.FromErrno("ibv_open_device", EInval);
        var context = (IbvContext*)NativeMemory.AllocZeroed((nuint)IbvContext.Size);
        context->Device = (nint)device;
        context->Ops.PollCq = &LoopbackOps.PollCq;
        context->Ops.PostSend = &LoopbackOps.PostSend;
        context->Ops.PostRecv = &LoopbackOps.PostRecv;
        return context;
    }

    /// <inheritdoc/>
    public void CloseDevice(IbvContext* context)
    {
        NativeMemory.Free(context);
    }

    /// <inheritdoc/>
    public IbvPortAttr QueryPort(IbvContext* context, byte port) =>
        port == RdmaDevice.PortNumber ? _port : throw VerbsException.FromErrno("ibv_query_port", EInval);

    /// <inheritdoc/>
    public IbvGid QueryGid(IbvContext* context, byte port, int index) =>
        port == RdmaDevice.PortNumber && index == 0 ? _gid : throw VerbsException.FromErrno("ibv_query_gid", EInval);

    /// <inheritdoc/>
    public IbvPd* AllocPd(IbvContext* context)
    {
        var pd = (IbvPd*)NativeMemory.AllocZeroed((nuint)sizeof(IbvPd));
        pd->Context = context;
        return pd;
    }

    /// <inheritdoc/>
    public void DeallocPd(IbvPd* pd) => NativeMemory.Free(pd);

    /// <inheritdoc/>
    public IbvMr* RegMr(IbvPd* pd, void* address, nuint length, IbvAccessFlags access)
    {
        if (address == null || length == 0)
            throw VerbsException.FromErrno("ibv_reg_mr", EInval);
        var mr = (IbvMr*)NativeMemory.AllocZeroed((nuint)sizeof(IbvMr));
        mr->Context = pd->Context;
        mr->Pd = pd;
        mr->Addr = address;
        mr->Length = length;
        lock (_gate)
        {
            mr->Lkey = _nextKey++;
            mr->Rkey = _nextKey++;
            var region = new LoopbackRegion(mr, access);
            _regionsByLocalKey[mr->Lkey] = region;
            _regionsByRemoteKey[mr->Rkey] = region;
        }
        return mr;
    }

    /// <inheritdoc/>
    public void DeregMr(IbvMr* mr)
    {
        lock (_gate)
        {
            _regionsByLocalKey.Remove(mr->Lkey);
            _regionsByRemoteKey.Remove(mr->Rkey);
        }
        NativeMemory.Free(mr);
    }

    /// <inheritdoc/>
    public IbvCq* CreateCq(IbvContext* context, int entries)
    {
        if (entries < 1)
            throw VerbsException.FromErrno("ibv_create_cq", EInval);
        return new LoopbackCompletionQueue(this, context, entries).Native;
    }

    /// <inheritdoc/>
    public void DestroyCq(IbvCq* cq)
    {
        lock (_gate)
            LoopbackCompletionQueue.From(cq).Dispose();
    }

    /// <inheritdoc/>
    public IbvQp* CreateQp(IbvPd* pd, in IbvQpInitAttr attributes)
    {
        if (attributes.QpType != IbvQpType.ReliableConnected || attributes.SendCq == null || attributes.RecvCq == null
            || attributes.Cap.MaxSendWr == 0 || attributes.Cap.MaxRecvWr == 0)
            throw VerbsException.FromErrno("ibv_create_qp", EInval);
        lock (_gate)
        {
            var qp = new LoopbackQueuePair(this, pd, attributes, _nextQueuePair++);
            _queuePairs[qp.Number] = qp;
            return qp.Native;
        }
    }

    /// <inheritdoc/>
    public void ModifyQp(IbvQp* qp, in IbvQpAttr attributes, IbvQpAttrMask mask)
    {
        int error;
        lock (_gate)
            error = LoopbackQueuePair.From(qp).Modify(attributes, mask, _port, _gid);
        if (error != 0)
            throw VerbsException.FromErrno("ibv_modify_qp", error);
    }

    /// <inheritdoc/>
    public void DestroyQp(IbvQp* qp)
    {
        lock (_gate)
        {
            var pair = LoopbackQueuePair.From(qp);
            _queuePairs.Remove(pair.Number);
            pair.Dispose();
        }
    }

    /// <summary>Frees the device handle (every context, queue pair and region must be gone).</summary>
    public void Dispose()
    {
        if (_device == null)
            return;
        NativeMemory.Free(_device);
        _device = null;
    }

    /// <summary>The fabric's lock: every loopback operation runs under it.</summary>
    internal object Gate => _gate;

    /// <summary>The live, not vanished, queue pair <paramref name="number"/>.</summary>
    internal LoopbackQueuePair? Peer(uint number) =>
        _queuePairs.TryGetValue(number, out var qp) && !_vanished.Contains(number) ? qp : null;

    /// <summary>Whether queue pair <paramref name="number"/> has vanished (its completions go nowhere).</summary>
    internal bool HasVanished(uint number) => _vanished.Contains(number);

    internal LoopbackRegion? LocalRegion(uint key) => _regionsByLocalKey.GetValueOrDefault(key);

    internal LoopbackRegion? RemoteRegion(uint key) => _regionsByRemoteKey.GetValueOrDefault(key);

    /// <summary>The injected failure for the next send, taken once.</summary>
    internal IbvWcStatus? TakeInjectedFailure()
    {
        var failure = _nextSendFails;
        _nextSendFails = null;
        return failure;
    }
}
