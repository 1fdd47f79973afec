using System.Collections;
using System.Text;

namespace Gear.Protocol.Grpc;

/// <summary>
/// Custom metadata of a call: request headers, response headers or trailers. Keys are lower-case; a key
/// ending in <c>-bin</c> holds bytes, which travel base64-encoded; any other key holds printable ASCII.
/// </summary>
public sealed class Metadata : IEnumerable<Metadata.Entry>
{
    /// <summary>The suffix that marks a binary key.</summary>
    public const string BinarySuffix = "-bin";

    private readonly List<Entry> _entries = new();

    /// <summary>The number of entries.</summary>
    public int Count => _entries.Count;

    /// <summary>Adds a text entry. The key must not end in <c>-bin</c>; the value must be printable ASCII.</summary>
    public void Add(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string normalized = NormalizeKey(key);
        if (IsBinaryKey(normalized))
        {
            throw new ArgumentException($"Metadata key '{key}' ends in '{BinarySuffix}', so its value must be bytes.", nameof(key));
        }
        foreach (char c in value)
        {
            if (c < ' ' || c > '~')
            {
                throw new ArgumentException($"Metadata value for '{key}' has a character outside printable ASCII.", nameof(value));
            }
        }
        _entries.Add(new Entry(normalized, value, null));
    }

    /// <summary>Adds a binary entry. The key must end in <c>-bin</c>.</summary>
    public void Add(string key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string normalized = NormalizeKey(key);
        if (!IsBinaryKey(normalized))
        {
            throw new ArgumentException($"Metadata key '{key}' holds bytes, so it must end in '{BinarySuffix}'.", nameof(key));
        }
        _entries.Add(new Entry(normalized, null, value));
    }

    /// <summary>The first text value for <paramref name="key"/>, or null if there is none.</summary>
    public string? GetValue(string key)
    {
        foreach (Entry entry in _entries)
        {
            if (!entry.IsBinary && string.Equals(entry.Key, key, StringComparison.OrdinalIgnoreCase)) return entry.Value;
        }
        return null;
    }

    /// <summary>The first binary value for <paramref name="key"/>, or null if there is none.</summary>
    public byte[]? GetValueBytes(string key)
    {
        foreach (Entry entry in _entries)
        {
            if (entry.IsBinary && string.Equals(entry.Key, key, StringComparison.OrdinalIgnoreCase)) return entry.ValueBytes;
        }
        return null;
    }

    /// <summary>Every entry with <paramref name="key"/>, in the order added.</summary>
    public IEnumerable<Entry> GetAll(string key)
    {
        foreach (Entry entry in _entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.OrdinalIgnoreCase)) yield return entry;
        }
    }

    /// <inheritdoc />
    public IEnumerator<Entry> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>True when <paramref name="key"/> names a binary entry.</summary>
    public static bool IsBinaryKey(string key) => key.EndsWith(BinarySuffix, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Adds a header as received from the wire: a binary key's value is split on ',' (HTTP may have joined
    /// repeated headers) and each part base64-decoded with or without padding.
    /// </summary>
    /// <exception cref="FormatException">A binary value is not base64.</exception>
    public void AddFromWire(string key, string value)
    {
        // Not validated as strictly as Add: the peer's HTTP stack already checked the header, and a call
        // must not fail over a header name that HTTP allows and gRPC merely discourages.
        string normalized = key.ToLowerInvariant();
        if (!IsBinaryKey(normalized))
        {
            _entries.Add(new Entry(normalized, value, null));
            return;
        }
        foreach (string part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            _entries.Add(new Entry(normalized, null, DecodeBase64(part)));
        }
    }

    /// <summary>Decodes base64 whose padding may have been left off, as the gRPC spec allows.</summary>
    public static byte[] DecodeBase64(string value)
    {
        int padding = (4 - value.Length % 4) % 4;
        if (padding == 3) throw new FormatException("Base64 value has an impossible length.");
        return Convert.FromBase64String(padding == 0 ? value : value + new string('=', padding));
    }

    /// <summary>Encodes bytes as base64 without padding, as the gRPC spec asks senders to.</summary>
    public static string EncodeBase64(byte[] value) => Convert.ToBase64String(value).TrimEnd('=');

    private static string NormalizeKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        string lower = key.ToLowerInvariant();
        foreach (char c in lower)
        {
            bool allowed = c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.';
            if (!allowed) throw new ArgumentException($"Metadata key '{key}' has a character other than a-z, 0-9, '-', '_' or '.'.", nameof(key));
        }
        if (lower.StartsWith("grpc-", StringComparison.Ordinal))
        {
            // grpc-* names are reserved for the protocol (status, timeout, encoding); an application entry
            // there would be confused with, or overwrite, the runtime's own.
            throw new ArgumentException($"Metadata key '{key}' is reserved: names starting with 'grpc-' belong to the protocol.", nameof(key));
        }
        return lower;
    }

    /// <summary>One metadata entry: a key and either a text or a binary value.</summary>
    public sealed class Entry
    {
        private readonly string? _value;
        private readonly byte[]? _bytes;

        internal Entry(string key, string? value, byte[]? bytes)
        {
            Key = key;
            _value = value;
            _bytes = bytes;
        }

        /// <summary>The lower-case key.</summary>
        public string Key { get; }

        /// <summary>True for a <c>-bin</c> entry.</summary>
        public bool IsBinary => _bytes is not null;

        /// <summary>The text value. Throws for a binary entry.</summary>
        public string Value => _value ?? throw new InvalidOperationException($"Metadata entry '{Key}' is binary; read ValueBytes.");

        /// <summary>The binary value; for a text entry its ASCII bytes.</summary>
        public byte[] ValueBytes => _bytes ?? Encoding.ASCII.GetBytes(_value!);

        /// <summary>The value as sent in an HTTP/2 header: text as is, bytes as unpadded base64.</summary>
        public string WireValue => _bytes is null ? _value! : EncodeBase64(_bytes);

        /// <inheritdoc />
        public override string ToString() => IsBinary ? $"{Key}: ({_bytes!.Length} bytes)" : $"{Key}: {_value}";
    }
}
