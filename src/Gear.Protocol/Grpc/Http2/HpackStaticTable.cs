namespace Gear.Protocol.Grpc.Http2;

/// <summary>
/// The 61 fixed entries of RFC 7541 Appendix A, shared by both ends so common fields cost one octet.
/// </summary>
internal static class HpackStaticTable
{
    /// <summary>The number of entries; dynamic-table indexes start right after it.</summary>
    public const int Count = 61;

    /// <summary>":method: POST", indexed as a whole.</summary>
    public const int MethodPost = 3;

    /// <summary>":scheme: http", indexed as a whole.</summary>
    public const int SchemeHttp = 6;

    /// <summary>":scheme: https", indexed as a whole.</summary>
    public const int SchemeHttps = 7;

    // Index 0 is unused so that the array index is the HPACK index.
    private static readonly (string Name, string Value)[] Entries =
    {
        ("", ""),
        (":authority", ""),
        (":method", "GET"),
        (":method", "POST"),
        (":path", "/"),
        (":path", "/index.html"),
        (":scheme", "http"),
        (":scheme", "https"),
        (":status", "200"),
        (":status", "204"),
        (":status", "206"),
        (":status", "304"),
        (":status", "400"),
        (":status", "404"),
        (":status", "500"),
        ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"),
        ("accept-language", ""),
        ("accept-ranges", ""),
        ("accept", ""),
        ("access-control-allow-origin", ""),
        ("age", ""),
        ("allow", ""),
        ("authorization", ""),
        ("cache-control", ""),
        ("content-disposition", ""),
        ("content-encoding", ""),
        ("content-language", ""),
        ("content-length", ""),
        ("content-location", ""),
        ("content-range", ""),
        ("content-type", ""),
        ("cookie", ""),
        ("date", ""),
        ("etag", ""),
        ("expect", ""),
        ("expires", ""),
        ("from", ""),
        ("host", ""),
        ("if-match", ""),
        ("if-modified-since", ""),
        ("if-none-match", ""),
        ("if-range", ""),
        ("if-unmodified-since", ""),
        ("last-modified", ""),
        ("link", ""),
        ("location", ""),
        ("max-forwards", ""),
        ("proxy-authenticate", ""),
        ("proxy-authorization", ""),
        ("range", ""),
        ("referer", ""),
        ("refresh", ""),
        ("retry-after", ""),
        ("server", ""),
        ("set-cookie", ""),
        ("strict-transport-security", ""),
        ("transfer-encoding", ""),
        ("user-agent", ""),
        ("vary", ""),
        ("via", ""),
        ("www-authenticate", ""),
    };

    /// <summary>The entry at a 1-based index in 1..<see cref="Count"/>; callers check the range.</summary>
    public static (string Name, string Value) Get(int index) => Entries[index];

    /// <summary>
    /// The lowest index whose name is <paramref name="name"/>, or 0 when none: the encoder then sends the name
    /// as a literal.
    /// </summary>
    public static int FindName(string name)
    {
        for (int i = 1; i <= Count; i++)
        {
            if (string.Equals(Entries[i].Name, name, StringComparison.Ordinal)) return i;
        }
        return 0;
    }
}
