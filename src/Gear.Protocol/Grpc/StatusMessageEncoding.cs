using System.Text;

namespace Gear.Protocol.Grpc;

/// <summary>
/// The percent-encoding of <c>grpc-message</c>: the detail is UTF-8, and every byte outside printable ASCII,
/// and '%' itself, is sent as <c>%XX</c>. Decoding never fails: a broken escape is kept as it is, as the
/// spec requires ("implementations MUST NOT error or throw away the message").
/// </summary>
public static class StatusMessageEncoding
{
    /// <summary>Percent-encodes a status detail for the wire.</summary>
    public static string Encode(string detail)
    {
        ArgumentNullException.ThrowIfNull(detail);
        if (!NeedsEncoding(detail)) return detail;

        byte[] utf8 = Encoding.UTF8.GetBytes(detail);
        var builder = new StringBuilder(utf8.Length * 3);
        foreach (byte b in utf8)
        {
            if (IsUnreserved(b))
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(HexDigit(b >> 4)).Append(HexDigit(b & 0xF));
            }
        }
        return builder.ToString();
    }

    /// <summary>Decodes a received <c>grpc-message</c>; invalid escapes stay as they are, invalid UTF-8 becomes U+FFFD.</summary>
    public static string Decode(string wire)
    {
        ArgumentNullException.ThrowIfNull(wire);
        if (wire.IndexOf('%') < 0) return wire;

        var bytes = new List<byte>(wire.Length);
        for (int i = 0; i < wire.Length; i++)
        {
            char c = wire[i];
            if (c == '%' && i + 2 < wire.Length && TryHex(wire[i + 1], out int high) && TryHex(wire[i + 2], out int low))
            {
                bytes.Add((byte)((high << 4) | low));
                i += 2;
            }
            else if (c < 0x80)
            {
                bytes.Add((byte)c);
            }
            else
            {
                // Not legal on the wire, but a lenient decoder keeps what it can rather than dropping the message.
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool NeedsEncoding(string detail)
    {
        foreach (char c in detail)
        {
            if (c < ' ' || c > '~' || c == '%') return true;
        }
        return false;
    }

    private static bool IsUnreserved(byte b) => b is >= 0x20 and <= 0x7E && b != (byte)'%';

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'A' + value - 10);

    private static bool TryHex(char c, out int value)
    {
        value = c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'A' and <= 'F' => c - 'A' + 10,
            >= 'a' and <= 'f' => c - 'a' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
