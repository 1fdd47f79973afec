using Gear.Protocol.Rdma.Native;
using Google.Protobuf;
using WireQueuePair = Gear.Protocol.V1.RdmaQueuePair;

namespace Gear.Protocol.Rdma;

/// <summary>
/// What one side of a reliable connection tells the other to connect its queue pair: the queue pair number,
/// the first packet sequence number, and the port's address (LID on InfiniBand, GID on RoCE) and MTU.
/// </summary>
/// <param name="QueuePairNumber">The queue pair to send to.</param>
/// <param name="PacketSequenceNumber">The first packet sequence number it sends (24 bits).</param>
/// <param name="Lid">The port's LID (InfiniBand; 0 on RoCE).</param>
/// <param name="Gid">The port's GID (RoCE; may be zero on InfiniBand).</param>
/// <param name="Mtu">The port's active MTU.</param>
public readonly record struct RdmaPeerAddress(uint QueuePairNumber, uint PacketSequenceNumber, ushort Lid, IbvGid Gid, IbvMtu Mtu)
{
    /// <summary>The wire form (learner's offer, server's grant).</summary>
    public WireQueuePair ToWire()
    {
        var gid = Gid;
        return new WireQueuePair
        {
            QpNum = QueuePairNumber,
            Psn = PacketSequenceNumber,
            Lid = Lid,
            Gid = ByteString.CopyFrom(gid.Raw),
            Mtu = (uint)Mtu,
        };
    }

    /// <summary>
    /// The address <paramref name="wire"/> gives, or null with <paramref name="problem"/> naming the field
    /// (relative to the queue pair message) that no queue pair could have.
    /// </summary>
    public static RdmaPeerAddress? FromWire(WireQueuePair wire, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(wire);
        problem = wire switch
        {
            { QpNum: 0 or >= 1 << 24 } => $"qp_num {wire.QpNum} must be between 1 and 2^24 - 1",
            { Psn: >= 1 << 24 } => $"psn {wire.Psn} must be below 2^24",
            { Lid: > ushort.MaxValue } => $"lid {wire.Lid} must fit 16 bits",
            { Gid.Length: not (0 or 16) } => $"gid has {wire.Gid.Length} bytes; a GID has 16 (or none on InfiniBand)",
            { Mtu: < (uint)IbvMtu.Mtu256 or > (uint)IbvMtu.Mtu4096 } => $"mtu {wire.Mtu} must be between 1 (256 B) and 5 (4096 B)",
            _ => null,
        };
        if (problem is not null)
            return null;
        var gid = default(IbvGid);
        wire.Gid.Span.CopyTo(gid.Raw);
        return new RdmaPeerAddress(wire.QpNum, wire.Psn, (ushort)wire.Lid, gid, (IbvMtu)wire.Mtu);
    }
}
