using Gear.Protocol.Rdma.Native;

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
public readonly record struct RdmaPeerAddress(uint QueuePairNumber, uint PacketSequenceNumber, ushort Lid, IbvGid Gid, IbvMtu Mtu);
