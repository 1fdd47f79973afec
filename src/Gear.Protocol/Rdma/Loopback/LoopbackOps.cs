using System.Runtime.InteropServices;
using Gear.Protocol.Rdma.Native;

namespace Gear.Protocol.Rdma.Loopback;

/// <summary>
/// The loopback device's ops-table entries: what <c>ibv_post_send</c>, <c>ibv_post_recv</c> and
/// <c>ibv_poll_cq</c> jump to. Unmanaged entry points must never let an exception escape (it would end the
/// process), so each turns one into an errno, as a provider reports failures.
/// </summary>
internal static unsafe class LoopbackOps
{
    private const int EIo = 5;
    private const int ENoMem = 12;
    private const int EInval = 22;

    [UnmanagedCallersOnly]
    public static int PollCq(IbvCq* cq, int max, IbvWc* entries)
    {
        try
        {
            var queue = LoopbackCompletionQueue.From(cq);
            lock (queue.Fabric.Gate)
                return queue.Overrun ? -EIo : queue.Take(max, entries);
        }
        catch
        {
            return -EIo;
        }
    }

    [UnmanagedCallersOnly]
    public static int PostRecv(IbvQp* qp, IbvRecvWr* request, IbvRecvWr** bad)
    {
        try
        {
            var pair = LoopbackQueuePair.From(qp);
            lock (pair.Fabric.Gate)
            {
                for (; request != null; request = request->Next)
                {
                    if (pair.State is IbvQpState.Reset || request->NumSge != 0)
                        return Refuse(request, bad, EInval);
                    if (pair.State is IbvQpState.Error)
                        pair.Flush(request->WrId);  // a provider completes receives posted in the error state as flushed
                    else if (!pair.AddReceive(request->WrId))
                        return Refuse(request, bad, ENoMem);
                }
            }
            return 0;
        }
        catch
        {
            return Refuse(request, bad, EIo);
        }
    }

    [UnmanagedCallersOnly]
    public static int PostSend(IbvQp* qp, IbvSendWr* request, IbvSendWr** bad)
    {
        try
        {
            var pair = LoopbackQueuePair.From(qp);
            lock (pair.Fabric.Gate)
            {
                for (; request != null; request = request->Next)
                {
                    if (pair.State is not (IbvQpState.ReadyToSend or IbvQpState.Error)
                        || request->Opcode is not (IbvWrOpcode.RdmaWrite or IbvWrOpcode.RdmaWriteWithImm or IbvWrOpcode.SendWithImm))
                        return Refuse(request, bad, EInval);
                    Complete(pair, request);
                }
            }
            return 0;
        }
        catch
        {
            return Refuse(request, bad, EIo);
        }
    }

    private static int Refuse<T>(T* request, T** bad, int error) where T : unmanaged
    {
        *bad = request;
        return error;
    }

    /// <summary>Runs one send request and reports it on the sender's completion queue.</summary>
    private static void Complete(LoopbackQueuePair sender, IbvSendWr* request)
    {
        var fabric = sender.Fabric;
        var status = sender.State == IbvQpState.Error
            ? IbvWcStatus.WorkRequestFlushed
            : fabric.TakeInjectedFailure() ?? Deliver(sender, request);
        if (status != IbvWcStatus.Success && sender.State != IbvQpState.Error)
            sender.EnterError();
        var signaled = (request->SendFlags & IbvSendFlags.Signaled) != 0 || sender.SignalAll;
        if ((status != IbvWcStatus.Success || signaled) && !fabric.HasVanished(sender.Number))
        {
            sender.SendCq.Add(new IbvWc
            {
                WrId = request->WrId,
                Status = status,
                Opcode = request->Opcode == IbvWrOpcode.SendWithImm ? IbvWcOpcode.Send : IbvWcOpcode.RdmaWrite,
                QpNum = sender.Number,
            });
        }
    }

    /// <summary>What the peer's side of the fabric does with the request: the status the sender sees.</summary>
    private static IbvWcStatus Deliver(LoopbackQueuePair sender, IbvSendWr* request)
    {
        var fabric = sender.Fabric;
        var peer = fabric.Peer(sender.DestinationNumber);
        // Nobody answers at the address, or the packets' sequence numbers are not the ones it expects: the
        // sender retries until it gives up.
        if (peer is null || peer.State is not (IbvQpState.ReadyToReceive or IbvQpState.ReadyToSend)
            || peer.DestinationNumber != sender.Number || peer.ReceivePsn != sender.SendPsn)
            return IbvWcStatus.RetryExceeded;
        ulong length = 0;
        for (var i = 0; i < request->NumSge; i++)
        {
            var sge = request->SgList[i];
            if (fabric.LocalRegion(sge.Lkey) is not { } local || !local.Covers(sge.Addr, sge.Length))
                return IbvWcStatus.LocalProtectionError;
            length += sge.Length;
        }
        var isWrite = request->Opcode != IbvWrOpcode.SendWithImm;
        if (!isWrite && length > 0)
            return IbvWcStatus.RemoteInvalidRequest;  // loopback receives carry no buffers
        // A zero-length write touches no memory and checks no key (the liveness probe).
        if (isWrite && length > 0
            && (fabric.RemoteRegion(request->Rkey) is not { } remote || (remote.Access & IbvAccessFlags.RemoteWrite) == 0
                || (peer.Access & IbvAccessFlags.RemoteWrite) == 0 || !remote.Covers(request->RemoteAddr, length)))
        {
            peer.EnterError();
            return IbvWcStatus.RemoteAccessError;
        }
        var consumesReceive = request->Opcode != IbvWrOpcode.RdmaWrite;
        ulong receive = 0;
        if (consumesReceive && !peer.TryTakeReceive(out receive))
            return IbvWcStatus.ReceiverNotReadyRetryExceeded;
        var target = (byte*)request->RemoteAddr;
        for (var i = 0; i < request->NumSge; i++)
        {
            var sge = request->SgList[i];
            NativeMemory.Copy((void*)sge.Addr, target, sge.Length);
            target += sge.Length;
        }
        if (consumesReceive)
        {
            peer.ReceiveCq.Add(new IbvWc
            {
                WrId = receive,
                Status = IbvWcStatus.Success,
                Opcode = isWrite ? IbvWcOpcode.ReceiveRdmaWithImm : IbvWcOpcode.Receive,
                ByteLen = (uint)length,
                ImmData = request->ImmData,
                QpNum = peer.Number,
                SrcQp = sender.Number,
                WcFlags = IbvWcFlags.WithImm,
            });
        }
        return IbvWcStatus.Success;
    }
}
