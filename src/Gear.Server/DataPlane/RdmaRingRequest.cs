using Gear.Protocol.DataPlane;
using Gear.Protocol.Grpc;
using Gear.Protocol.Rdma;
using Gear.Server.Service;
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
        var address = RdmaPeerAddress.FromWire(qp, out var problem) ?? throw Invalid($"rdma_ring.queue_pair.{problem}");
        return (new RdmaRing(ring.Address, ring.Rkey, (int)ring.SlotBytes, (int)ring.SlotCount), address);
    }

    /// <summary>Bytes of the stream's largest frame: the biggest batch, or the end frame's header.</summary>
    public static long LargestFrame(Core.Schema.TableSpec spec, int batchSize, int windowLength) =>
        BatchFrameHeader.FrameBytes(spec.Columns.Count, batchSize, windowLength, spec.StepBytes);

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
