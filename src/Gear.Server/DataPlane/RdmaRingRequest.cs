using Gear.Protocol.DataPlane;
using Gear.Protocol.Grpc;
using Gear.Protocol.Rdma;
using Gear.Protocol.Rdma.Native;
using Gear.Server.Service;
using WireQueuePair = Gear.Protocol.V1.RdmaQueuePair;
using WireRing = Gear.Protocol.V1.RdmaRing;

namespace Gear.Server.DataPlane;

/// <summary>
/// A learner's <see cref="WireRing"/> checked field by field: anything a server cannot safely write into
/// is INVALID_ARGUMENT naming the field, before a queue pair exists.
/// </summary>
internal static class RdmaRingRequest
{
    /// <summary>Largest slot accepted: a frame never needs more (a reply larger than this would not fit gRPC either).</summary>
    public const long MaxSlotBytes = 1L << 30;

    /// <summary>The ring and the learner's queue pair address, for frames of up to <paramref name="frameBytes"/>.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT naming the bad field.</exception>
    public static (RdmaRing Ring, RdmaPeerAddress Learner) Parse(WireRing ring, long frameBytes)
    {
        if (ring.Address == 0)
            throw Invalid("rdma_ring.address must not be 0");
        if (ring.SlotCount < 1 || ring.SlotCount > ReplayService.MaxBatchesInFlight)
            throw Invalid($"rdma_ring.slot_count {ring.SlotCount} must be between 1 and {ReplayService.MaxBatchesInFlight}");
        if (ring.SlotBytes < frameBytes)
            throw Invalid($"rdma_ring.slot_bytes {ring.SlotBytes} is smaller than the stream's largest frame ({frameBytes} bytes)");
        if (ring.SlotBytes > MaxSlotBytes)
            throw Invalid($"rdma_ring.slot_bytes {ring.SlotBytes} is more than {MaxSlotBytes}");
        if (ring.Address > ulong.MaxValue - (ulong)ring.SlotBytes * ring.SlotCount)
            throw Invalid($"rdma_ring.address 0x{ring.Address:x} + {ring.SlotCount} slots of {ring.SlotBytes} bytes wraps around");
        var qp = ring.QueuePair ?? throw Invalid("rdma_ring.queue_pair is required");
        if (qp.QpNum == 0 || qp.QpNum >= 1 << 24)
            throw Invalid($"rdma_ring.queue_pair.qp_num {qp.QpNum} must be between 1 and 2^24 - 1");
        if (qp.Psn >= 1 << 24)
            throw Invalid($"rdma_ring.queue_pair.psn {qp.Psn} must be below 2^24");
        if (qp.Lid > ushort.MaxValue)
            throw Invalid($"rdma_ring.queue_pair.lid {qp.Lid} must fit 16 bits");
        if (qp.Gid.Length is not (0 or 16))
            throw Invalid($"rdma_ring.queue_pair.gid has {qp.Gid.Length} bytes; a GID has 16 (or none on InfiniBand)");
        if (qp.Mtu < (uint)IbvMtu.Mtu256 || qp.Mtu > (uint)IbvMtu.Mtu4096)
            throw Invalid($"rdma_ring.queue_pair.mtu {qp.Mtu} must be between 1 (256 B) and 5 (4096 B)");
        var gid = default(IbvGid);
        qp.Gid.Span.CopyTo(gid.Raw);
        return (new RdmaRing(ring.Address, ring.Rkey, (int)ring.SlotBytes, (int)ring.SlotCount),
            new RdmaPeerAddress(qp.QpNum, qp.Psn, (ushort)qp.Lid, gid, (IbvMtu)qp.Mtu));
    }

    /// <summary>The wire form of a queue pair's address.</summary>
    public static WireQueuePair ToWire(RdmaPeerAddress address)
    {
        var gid = address.Gid;
        return new WireQueuePair
        {
            QpNum = address.QueuePairNumber,
            Psn = address.PacketSequenceNumber,
            Lid = address.Lid,
            Gid = Google.Protobuf.ByteString.CopyFrom(gid.Raw),
            Mtu = (uint)address.Mtu,
        };
    }

    /// <summary>Bytes of the stream's largest frame: the biggest batch, or the end frame's header.</summary>
    public static long LargestFrame(Core.Schema.TableSpec spec, int batchSize, int windowLength) =>
        BatchFrameHeader.FrameBytes(spec.Columns.Count, batchSize, windowLength, spec.StepBytes);

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
