using System.Buffers.Binary;

namespace Gear.Protocol.Rdma;

/// <summary>
/// The 32-bit immediate value of each RDMA write: the frame's sequence number (low 16 bits) in the high
/// half and its slot in the low half, so the learner checks that frames arrive in order and where expected
/// before it reads the slot. Verbs carry immediates in network byte order; these convert.
/// </summary>
public static class SlotImmediate
{
    /// <summary>Slots a ring may have.</summary>
    public const int MaxSlots = 1 << 16;

    /// <summary>The wire value (network byte order) for frame <paramref name="sequence"/> in <paramref name="slot"/>.</summary>
    public static uint Encode(ulong sequence, int slot) => ToWire(((uint)(sequence & 0xFFFF) << 16) | (uint)slot);

    /// <summary>The low 16 bits of the sequence number and the slot carried by wire value <paramref name="wire"/>.</summary>
    public static (ushort Sequence, int Slot) Decode(uint wire)
    {
        var value = FromWire(wire);
        return ((ushort)(value >> 16), (int)(value & 0xFFFF));
    }

    /// <summary>A host-order value in network byte order (immediates of credit sends).</summary>
    public static uint ToWire(uint value) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;

    /// <summary>A network-byte-order value in host order.</summary>
    public static uint FromWire(uint wire) => ToWire(wire);
}
