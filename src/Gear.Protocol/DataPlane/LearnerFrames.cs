using System.Buffers.Binary;

namespace Gear.Protocol.DataPlane;

/// <summary>
/// The learner's frames to the server, both fixed-size and checksummed (little-endian):
/// <code>
/// Hello  (32 B): u32 magic, u16 version, u16 kind 3, 16 B session token, u32 initial credits, u32 CRC-32C of [0, 28)
/// Credit (16 B): u32 magic, u16 version, u16 kind 4, u32 credits,                        u32 CRC-32C of [0, 12)
/// </code>
/// </summary>
public static class LearnerFrames
{
    /// <summary>Bytes of a hello frame.</summary>
    public const int HelloBytes = 32;

    /// <summary>Bytes of a credit frame.</summary>
    public const int CreditBytes = 16;

    /// <summary>Bytes of a session token.</summary>
    public const int TokenBytes = 16;

    /// <summary>Writes a hello frame.</summary>
    public static void WriteHello(Span<byte> destination, ReadOnlySpan<byte> token, uint credits)
    {
        if (token.Length != TokenBytes)
            throw new ArgumentException($"a session token has {TokenBytes} bytes", nameof(token));
        WritePrefix(destination, FrameKind.Hello);
        token.CopyTo(destination[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[24..], credits);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[28..], FrameChecksum.Compute(destination[..28]));
    }

    /// <summary>Reads a hello frame: the token (copied into <paramref name="token"/>) and the initial credits.</summary>
    /// <exception cref="DataPlaneFrameException">Not a well-formed hello frame.</exception>
    public static uint ReadHello(ReadOnlySpan<byte> frame, Span<byte> token)
    {
        CheckPrefix(frame, FrameKind.Hello, HelloBytes);
        frame.Slice(8, TokenBytes).CopyTo(token);
        return BinaryPrimitives.ReadUInt32LittleEndian(frame[24..]);
    }

    /// <summary>Writes a credit frame.</summary>
    public static void WriteCredit(Span<byte> destination, uint credits)
    {
        WritePrefix(destination, FrameKind.Credit);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], credits);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], FrameChecksum.Compute(destination[..12]));
    }

    /// <summary>Reads a credit frame's credits.</summary>
    /// <exception cref="DataPlaneFrameException">Not a well-formed credit frame.</exception>
    public static uint ReadCredit(ReadOnlySpan<byte> frame)
    {
        CheckPrefix(frame, FrameKind.Credit, CreditBytes);
        return BinaryPrimitives.ReadUInt32LittleEndian(frame[8..]);
    }

    private static void WritePrefix(Span<byte> destination, FrameKind kind)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, BatchFrameHeader.Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], BatchFrameHeader.Version);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], (ushort)kind);
    }

    private static void CheckPrefix(ReadOnlySpan<byte> frame, FrameKind kind, int size)
    {
        if (frame.Length < size)
            throw new DataPlaneFrameException($"{kind} frame of {frame.Length} bytes; {size} expected");
        if (BinaryPrimitives.ReadUInt32LittleEndian(frame) != BatchFrameHeader.Magic)
            throw new DataPlaneFrameException($"bad magic 0x{BinaryPrimitives.ReadUInt32LittleEndian(frame):x8} (not a gear data-plane frame)");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(frame[4..]);
        if (version != BatchFrameHeader.Version)
            throw new DataPlaneFrameException($"frame version {version}; this build speaks {BatchFrameHeader.Version}");
        var actual = BinaryPrimitives.ReadUInt16LittleEndian(frame[6..]);
        if (actual != (ushort)kind)
            throw new DataPlaneFrameException($"frame kind {actual} where {kind} ({(ushort)kind}) was expected");
        if (BinaryPrimitives.ReadUInt32LittleEndian(frame[(size - 4)..]) != FrameChecksum.Compute(frame[..(size - 4)]))
            throw new DataPlaneFrameException($"{kind} frame checksum does not match (corrupted frame)");
    }
}
