using System.Buffers;
using System.Text;

namespace Gear.Protocol.Grpc.Http2;

/// <summary>
/// Decodes HPACK header blocks (RFC 7541 section 6) for one HTTP/2 connection. The dynamic table is shared by
/// every block the peer sends on the connection, so one instance lives as long as the connection and every
/// block must pass through it in the order received, even blocks of streams we have given up on.
/// </summary>
internal sealed class HpackDecoder
{
    // RFC 7541 4.1: an entry costs its name and value octets plus this, whatever the implementation stores.
    private const int EntryOverhead = 32;

    // RFC 7541 5.1: enough continuation octets for any value up to int.MaxValue; more is padding we refuse.
    private const int MaxContinuationShift = 28;

    private readonly int _maxDynamicTableSize;
    private readonly int _maxHeaderListSize;
    private int _capacity;
    private int _size;

    // A ring in insertion order: the oldest entry at _oldest, the newest _count - 1 slots after it.
    private (string Name, string Value)[] _entries = new (string, string)[8];
    private int _oldest;
    private int _count;

    /// <param name="maxDynamicTableSize">What we advertise as SETTINGS_HEADER_TABLE_SIZE: the peer may shrink
    /// the table below it with a size update but never grow it beyond.</param>
    /// <param name="maxHeaderListSize">What we accept in one block, counted as RFC 7540 counts
    /// SETTINGS_MAX_HEADER_LIST_SIZE, so a peer cannot make us hold unbounded headers.</param>
    public HpackDecoder(int maxDynamicTableSize = 4096, int maxHeaderListSize = 64 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDynamicTableSize);
        ArgumentOutOfRangeException.ThrowIfNegative(maxHeaderListSize);
        _maxDynamicTableSize = maxDynamicTableSize;
        _maxHeaderListSize = maxHeaderListSize;
        _capacity = maxDynamicTableSize;
    }

    /// <summary>The dynamic table's size in RFC 7541 4.1 octets; for tests.</summary>
    internal int DynamicTableSize => _size;

    /// <summary>The number of dynamic-table entries; for tests.</summary>
    internal int DynamicTableCount => _count;

    /// <summary>
    /// Decodes one complete header block (HEADERS and CONTINUATION payloads already concatenated) and appends
    /// each field, in order, to <paramref name="headers"/>.
    /// </summary>
    /// <exception cref="HpackException">The block is malformed; the connection cannot go on.</exception>
    public void Decode(ReadOnlySpan<byte> block, List<KeyValuePair<string, string>> headers)
    {
        int position = 0;
        bool fieldSeen = false;
        long listSize = 0;
        while (position < block.Length)
        {
            byte first = block[position];
            string name;
            string value;
            if ((first & 0x80) != 0)
            {
                (name, value) = GetEntry(ReadInteger(block, ref position, 7));
            }
            else if ((first & 0x40) != 0)
            {
                (name, value) = ReadLiteral(block, ref position, 6);
                Add(name, value);
            }
            else if ((first & 0x20) != 0)
            {
                // RFC 7541 4.2: size updates come first in a block; anywhere else the peer has lost track.
                if (fieldSeen) throw new HpackException("Dynamic table size update after a header field.");
                SetCapacity(ReadInteger(block, ref position, 5));
                continue;
            }
            else
            {
                // Without indexing (0000) and never indexed (0001) decode alike; the difference only binds
                // intermediaries that re-encode.
                (name, value) = ReadLiteral(block, ref position, 4);
            }
            fieldSeen = true;
            listSize += name.Length + value.Length + EntryOverhead;
            if (listSize > _maxHeaderListSize)
            {
                throw new HpackException($"Header list is larger than the limit of {_maxHeaderListSize} octets.");
            }
            headers.Add(new KeyValuePair<string, string>(name, value));
        }
    }

    /// <summary>
    /// Reads an RFC 7541 5.1 integer whose first octet is at <paramref name="position"/>, using its low
    /// <paramref name="prefixBits"/> bits; internal so the Appendix C.1 vectors can be checked directly.
    /// </summary>
    internal static int ReadInteger(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        if (position >= block.Length) throw new HpackException("Truncated integer.");
        int mask = (1 << prefixBits) - 1;
        int prefix = block[position++] & mask;
        if (prefix < mask) return prefix;
        long value = prefix;
        for (int shift = 0; ; shift += 7)
        {
            if (shift > MaxContinuationShift) throw new HpackException("Integer encoding is too long.");
            if (position >= block.Length) throw new HpackException("Truncated integer.");
            byte octet = block[position++];
            value += (long)(octet & 0x7F) << shift;
            if (value > int.MaxValue) throw new HpackException("Integer is larger than 2^31 - 1.");
            if ((octet & 0x80) == 0) return (int)value;
        }
    }

    private (string Name, string Value) ReadLiteral(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        int nameIndex = ReadInteger(block, ref position, prefixBits);
        string name = nameIndex == 0 ? ReadString(block, ref position) : GetEntry(nameIndex).Name;
        string value = ReadString(block, ref position);
        return (name, value);
    }

    private static string ReadString(ReadOnlySpan<byte> block, ref int position)
    {
        if (position >= block.Length) throw new HpackException("Truncated string literal.");
        bool huffman = (block[position] & 0x80) != 0;
        int length = ReadInteger(block, ref position, 7);
        if (length > block.Length - position) throw new HpackException("String literal runs past the end of the block.");
        ReadOnlySpan<byte> octets = block.Slice(position, length);
        position += length;
        if (!huffman) return Encoding.Latin1.GetString(octets);

        int maxLength = HuffmanDecoder.MaxDecodedLength(length);
        byte[]? rented = null;
        Span<byte> buffer = maxLength <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(maxLength));
        try
        {
            int written = HuffmanDecoder.Decode(octets, buffer);
            return Encoding.Latin1.GetString(buffer[..written]);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private (string Name, string Value) GetEntry(int index)
    {
        if (index == 0) throw new HpackException("Header field index 0.");
        if (index <= HpackStaticTable.Count) return HpackStaticTable.Get(index);
        int dynamicIndex = index - HpackStaticTable.Count; // 1 is the newest entry
        if (dynamicIndex > _count)
        {
            throw new HpackException($"Header field index {index} is past the static and dynamic tables.");
        }
        return _entries[(_oldest + _count - dynamicIndex) % _entries.Length];
    }

    private void SetCapacity(int capacity)
    {
        if (capacity > _maxDynamicTableSize)
        {
            throw new HpackException($"Dynamic table size update to {capacity} exceeds the limit of {_maxDynamicTableSize}.");
        }
        _capacity = capacity;
        EvictUntilFits(0);
    }

    private void Add(string name, string value)
    {
        // Lengths are octets: strings here hold one char per octet.
        long entrySize = (long)name.Length + value.Length + EntryOverhead;
        if (entrySize > _capacity)
        {
            // RFC 7541 4.4: an entry larger than the table empties it and is not added.
            EvictUntilFits(_capacity);
            return;
        }
        EvictUntilFits((int)entrySize);
        if (_count == _entries.Length) Grow();
        _entries[(_oldest + _count) % _entries.Length] = (name, value);
        _count++;
        _size += (int)entrySize;
    }

    private void EvictUntilFits(int incoming)
    {
        while (_count > 0 && _size + incoming > _capacity)
        {
            (string name, string value) = _entries[_oldest];
            _entries[_oldest] = default;
            _oldest = (_oldest + 1) % _entries.Length;
            _count--;
            _size -= name.Length + value.Length + EntryOverhead;
        }
    }

    private void Grow()
    {
        var larger = new (string, string)[_entries.Length * 2];
        for (int i = 0; i < _count; i++) larger[i] = _entries[(_oldest + i) % _entries.Length];
        _entries = larger;
        _oldest = 0;
    }
}
