namespace Gear.Protocol;

/// <summary>
/// Protobuf's base-128 varint, for encoders that write the tags and lengths around buffers themselves (an
/// append's columns sent as the actor holds them, a sample reply's columns written from the pages).
/// </summary>
public static class ProtobufVarint
{
    /// <summary>The most bytes a varint takes (a 64-bit value).</summary>
    public const int MaxBytes = 10;

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Write(Span<byte> destination, ulong value)
    {
        var length = 0;
        while (value >= 0x80)
        {
            destination[length++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[length++] = (byte)value;
        return length;
    }
}
