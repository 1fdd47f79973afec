using System.Buffers.Binary;
using System.Numerics;

namespace Gear.Protocol.DataPlane;

/// <summary>
/// CRC-32C of frame headers. BitOperations.Crc32C uses the CPU's CRC instruction where there is one, so
/// checking a header costs nanoseconds and needs no package (System.IO.Hashing is not in this registry).
/// </summary>
public static class FrameChecksum
{
    /// <summary>The CRC-32C of <paramref name="bytes"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> bytes)
    {
        var crc = ~0u;
        var at = 0;
        for (; at + 8 <= bytes.Length; at += 8)
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(bytes[at..]));
        for (; at < bytes.Length; at++)
            crc = BitOperations.Crc32C(crc, bytes[at]);
        return ~crc;
    }
}
