using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Gear.Server.Tests.Limits;

/// <summary>
/// An HTTP/2 client connection at the frame level (cleartext, prior knowledge) for clients that break the
/// rules HttpClient keeps: more streams than the server allows, header blocks of any size. Header blocks are
/// HPACK literals without indexing, so no compression state is needed.
/// </summary>
internal sealed class RawHttp2Connection : IDisposable
{
    /// <summary>HTTP/2 frame types used here (RFC 9113 section 6).</summary>
    public enum FrameType : byte { Data = 0, Headers = 1, RstStream = 3, Settings = 4, Ping = 6, GoAway = 7, WindowUpdate = 8, Continuation = 9 }

    /// <summary>SETTINGS_MAX_CONCURRENT_STREAMS.</summary>
    public const ushort MaxConcurrentStreamsSetting = 3;

    /// <summary>The largest frame payload every peer accepts (the default SETTINGS_MAX_FRAME_SIZE).</summary>
    private const int MaxFramePayload = 16384;

    private const byte EndHeaders = 0x4;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    private RawHttp2Connection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>A received frame.</summary>
    public sealed record Frame(FrameType Type, byte Flags, int StreamId, byte[] Payload)
    {
        /// <summary>The error code of a RST_STREAM or GOAWAY frame.</summary>
        public uint ErrorCode => Type switch
        {
            FrameType.RstStream => BinaryPrimitives.ReadUInt32BigEndian(Payload),
            FrameType.GoAway => BinaryPrimitives.ReadUInt32BigEndian(Payload.AsSpan(4)),
            _ => throw new InvalidOperationException($"a {Type} frame has no error code"),
        };

        /// <summary>
        /// The :status of a response HEADERS frame when it comes first as a literal (Kestrel writes statuses
        /// outside the static table that way, without Huffman coding); null otherwise.
        /// </summary>
        public int? Status
        {
            get
            {
                // Literal with incremental indexing (0x40), without indexing (0x00) or never indexed (0x10), name :status (static index 8).
                if (Type != FrameType.Headers || Payload.Length < 5 || (Payload[0] & 0x0F) != 8 || (Payload[0] & 0xA0) != 0 || Payload[1] != 3)
                    return null;
                return int.TryParse(Encoding.ASCII.GetString(Payload, 2, 3), out var status) ? status : null;
            }
        }
    }

    /// <summary>Connects, sends the preface and empty SETTINGS, and acknowledges the server's SETTINGS, which it returns.</summary>
    public static async Task<(RawHttp2Connection Connection, Dictionary<ushort, uint> Settings)> OpenAsync(Uri address)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(address.Host, address.Port);
        var connection = new RawHttp2Connection(socket);
        await connection._stream.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        await connection.SendAsync(FrameType.Settings, 0, 0, []);
        var settings = await connection.ReadUntilAsync(f => f.Type == FrameType.Settings && (f.Flags & 1) == 0, TimeSpan.FromSeconds(10))
            ?? throw new IOException("the server sent no SETTINGS");
        await connection.SendAsync(FrameType.Settings, 1, 0, []);
        var values = new Dictionary<ushort, uint>();
        for (var at = 0; at + 6 <= settings.Payload.Length; at += 6)
            values[BinaryPrimitives.ReadUInt16BigEndian(settings.Payload.AsSpan(at))] = BinaryPrimitives.ReadUInt32BigEndian(settings.Payload.AsSpan(at + 2));
        return (connection, values);
    }

    /// <summary>
    /// Opens stream <paramref name="streamId"/> with a gRPC POST to <paramref name="path"/> plus
    /// <paramref name="extraHeaders"/>, leaving the request body open; a block larger than one frame goes out
    /// as HEADERS and CONTINUATION frames.
    /// </summary>
    public async Task OpenStreamAsync(int streamId, string path, IEnumerable<(string Name, string Value)>? extraHeaders = null)
    {
        var block = new MemoryStream();
        block.Write([0x83, 0x86]); // :method POST, :scheme http (static table entries 3 and 6)
        Literal(block, 4, null, path); // :path
        Literal(block, 1, null, "localhost"); // :authority
        Literal(block, 31, null, "application/grpc"); // content-type
        Literal(block, 0, "te", "trailers");
        foreach (var (name, value) in extraHeaders ?? [])
            Literal(block, 0, name, value);
        var bytes = block.ToArray();
        for (var at = 0; at < bytes.Length || at == 0; at += MaxFramePayload)
        {
            var chunk = bytes.AsSpan(at, Math.Min(MaxFramePayload, bytes.Length - at)).ToArray();
            var last = at + MaxFramePayload >= bytes.Length;
            await SendAsync(at == 0 ? FrameType.Headers : FrameType.Continuation, last ? EndHeaders : (byte)0, streamId, chunk);
        }
    }

    /// <summary>Sends request body bytes on <paramref name="streamId"/>, ending the request body when <paramref name="endStream"/>.</summary>
    public Task SendDataAsync(int streamId, byte[] data, bool endStream) => SendAsync(FrameType.Data, endStream ? (byte)1 : (byte)0, streamId, data);

    /// <summary>Lets the server send <paramref name="increment"/> more bytes on <paramref name="streamId"/> (0: the connection).</summary>
    public Task SendWindowUpdateAsync(int streamId, int increment)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, increment);
        return SendAsync(FrameType.WindowUpdate, 0, streamId, payload);
    }

    /// <summary>Reads frames (answering PINGs) until one matches; null when the connection ends or <paramref name="timeout"/> passes first.</summary>
    public async Task<Frame?> ReadUntilAsync(Func<Frame, bool> match, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var header = new byte[9];
        try
        {
            while (true)
            {
                await _stream.ReadExactlyAsync(header, deadline.Token);
                var length = (header[0] << 16) | (header[1] << 8) | header[2];
                var payload = new byte[length];
                await _stream.ReadExactlyAsync(payload, deadline.Token);
                var frame = new Frame((FrameType)header[3], header[4], BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & int.MaxValue, payload);
                if (frame.Type == FrameType.Ping && (frame.Flags & 1) == 0)
                    await SendAsync(FrameType.Ping, 1, 0, payload);
                if (match(frame))
                    return frame;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether the server has closed the connection (end of stream, or a reset: a server that closes with our
    /// unread flood in its buffers sends RST, which can discard its GOAWAY before we read it), as opposed to it
    /// staying silent for <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> IsClosedByPeerAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            while (await _stream.ReadAsync(buffer, deadline.Token) > 0)
            {
            }
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return true;
        }
    }

    private async Task SendAsync(FrameType type, byte flags, int streamId, byte[] payload)
    {
        var header = new byte[9];
        header[0] = (byte)(payload.Length >> 16);
        header[1] = (byte)(payload.Length >> 8);
        header[2] = (byte)payload.Length;
        header[3] = (byte)type;
        header[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(5), streamId);
        await _stream.WriteAsync(header);
        await _stream.WriteAsync(payload);
    }

    /// <summary>A literal header field without indexing: by static-table name index, or (index 0) with its name spelled out.</summary>
    private static void Literal(Stream block, int nameIndex, string? name, string value)
    {
        Integer(block, 0x00, 4, nameIndex);
        if (name is not null)
            String(block, name);
        String(block, value);
    }

    private static void String(Stream block, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        Integer(block, 0x00, 7, bytes.Length); // no Huffman coding
        block.Write(bytes);
    }

    /// <summary>An HPACK integer with an <paramref name="prefixBits"/>-bit prefix (RFC 7541 section 5.1).</summary>
    private static void Integer(Stream block, byte flags, int prefixBits, int value)
    {
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            block.WriteByte((byte)(flags | value));
            return;
        }
        block.WriteByte((byte)(flags | max));
        for (value -= max; value >= 128; value >>= 7)
            block.WriteByte((byte)(value % 128 + 128));
        block.WriteByte((byte)value);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stream.Dispose();
        _socket.Dispose();
    }
}
