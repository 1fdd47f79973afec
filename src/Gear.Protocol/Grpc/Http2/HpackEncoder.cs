using System.Buffers;

namespace Gear.Protocol.Grpc.Http2;

/// <summary>
/// Encodes request headers without a dynamic table or Huffman coding: gRPC requests carry a handful of short
/// fields, and staying stateless means no encoder state to keep in step with the peer's table.
/// </summary>
internal static class HpackEncoder
{
    /// <summary>
    /// Appends one field as a literal without indexing, or never indexed when <paramref name="neverIndex"/>
    /// so that intermediaries also keep credentials such as <c>authorization</c> out of their tables.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty or not lower-case, or the name or value is not
    /// ASCII or holds CR, LF or NUL (which would let a value smuggle in another header).</exception>
    public static void WriteField(ArrayBufferWriter<byte> output, string name, string value, bool neverIndex = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        if (name.Length == 0) throw new ArgumentException("Header name is empty.", nameof(name));
        foreach (char c in name)
        {
            if (c is >= 'A' and <= 'Z') throw new ArgumentException($"Header name '{name}' is not lower-case.", nameof(name));
            if (!IsAllowed(c)) throw new ArgumentException($"Header name '{name}' holds a character HTTP/2 forbids.", nameof(name));
        }
        foreach (char c in value)
        {
            if (!IsAllowed(c)) throw new ArgumentException($"Value of header '{name}' holds a character HTTP/2 forbids.", nameof(value));
        }

        int nameIndex = HpackStaticTable.FindName(name);
        WriteInteger(output, nameIndex, 4, neverIndex ? (byte)0x10 : (byte)0x00);
        if (nameIndex == 0) WriteString(output, name);
        WriteString(output, value);
    }

    /// <summary>Appends a field that is a whole static-table entry, e.g. 3 for <c>:method: POST</c>.</summary>
    public static void WriteIndexed(ArrayBufferWriter<byte> output, int index)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(index, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, HpackStaticTable.Count);
        WriteInteger(output, index, 7, 0x80);
    }

    /// <summary>
    /// Appends an RFC 7541 5.1 integer in the low <paramref name="prefixBits"/> bits of a first octet whose
    /// high bits are <paramref name="flags"/>; internal so the Appendix C.1 vectors can be checked directly.
    /// </summary>
    internal static void WriteInteger(ArrayBufferWriter<byte> output, int value, int prefixBits, byte flags)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        Span<byte> span = output.GetSpan(6); // prefix octet and at most 5 continuation octets for an int
        int mask = (1 << prefixBits) - 1;
        if (value < mask)
        {
            span[0] = (byte)(flags | value);
            output.Advance(1);
            return;
        }
        span[0] = (byte)(flags | mask);
        int written = 1;
        uint rest = (uint)(value - mask);
        while (rest >= 0x80)
        {
            span[written++] = (byte)(rest | 0x80);
            rest >>= 7;
        }
        span[written++] = (byte)rest;
        output.Advance(written);
    }

    private static void WriteString(ArrayBufferWriter<byte> output, string text)
    {
        WriteInteger(output, text.Length, 7, 0x00); // H = 0: raw octets
        Span<byte> span = output.GetSpan(text.Length);
        for (int i = 0; i < text.Length; i++) span[i] = (byte)text[i];
        output.Advance(text.Length);
    }

    private static bool IsAllowed(char c) => c < 0x80 && c is not ('\r' or '\n' or '\0');
}
