using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Gear.Protocol.Grpc;
using Gear.Protocol.Grpc.Http2;
using Google.Protobuf;

namespace Gear.Protocol.Tests.Grpc;

/// <summary>
/// The server end of one HTTP/2 connection on loopback, driven frame by frame by a test: it reads what the
/// client sends and writes exactly the frames the test asks for, so the client's handling of padding, split
/// messages, flow control, PING, resets and GOAWAY can be checked where a real server would never misbehave.
/// </summary>
internal sealed class ScriptedHttp2Server : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private Socket? _socket;
    private NetworkStream? _stream;

    public ScriptedHttp2Server() => _listener.Start();

    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>
    /// Accepts the client's connection, reads its preface and (as a server's preface must) sends an empty
    /// SETTINGS frame unless <paramref name="sendSettings"/> is false.
    /// </summary>
    public async Task AcceptAsync(bool sendSettings = true)
    {
        _socket = await _listener.AcceptSocketAsync().WaitAsync(Patience);
        _stream = new NetworkStream(_socket, ownsSocket: true);
        var preface = new byte[24];
        await _stream.ReadExactlyAsync(preface).AsTask().WaitAsync(Patience);
        CollectionAssert.AreEqual("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray(), preface);
        if (sendSettings) await SendSettingsAsync();
    }

    /// <summary>Accepts the call's connection, reads its request and answers with gRPC response headers.</summary>
    public async Task AcceptAndAnswerAsync()
    {
        await AcceptAsync();
        await ReadRequestAsync();
        await SendResponseHeadersAsync();
    }

    /// <summary>The next frame from the client; null when it closed the connection.</summary>
    public async Task<Frame?> ReadFrameAsync()
    {
        var header = new byte[Http2FrameHeader.Size];
        int read = await _stream!.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false).AsTask().WaitAsync(Patience);
        if (read < header.Length) return null;
        var parsed = Http2FrameHeader.Read(header);
        var payload = new byte[parsed.Length];
        await _stream.ReadExactlyAsync(payload).AsTask().WaitAsync(Patience);
        return new Frame(parsed, payload);
    }

    /// <summary>Reads frames until one of <paramref name="type"/> (and, if given, with every flag of <paramref name="flags"/>).</summary>
    public async Task<Frame> ReadUntilAsync(Http2FrameType type, Http2FrameFlags flags = Http2FrameFlags.None, List<Frame>? skipped = null)
    {
        while (true)
        {
            Frame frame = await ReadFrameAsync() ?? throw new AssertFailedException($"The client closed the connection before sending {type}.");
            if (frame.Header.Type == type && (frame.Header.Flags & flags) == flags) return frame;
            skipped?.Add(frame);
        }
    }

    /// <summary>Reads the client's opening through the end of its request; returns every frame read.</summary>
    public async Task<List<Frame>> ReadRequestAsync()
    {
        var frames = new List<Frame>();
        Frame last = await ReadUntilAsync(Http2FrameType.Data, Http2FrameFlags.EndStream, frames);
        frames.Add(last);
        return frames;
    }

    public Task SendAsync(Http2FrameType type, Http2FrameFlags flags, int streamId, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[Http2FrameHeader.Size + payload.Length];
        new Http2FrameHeader(payload.Length, type, flags, streamId).Write(frame);
        payload.CopyTo(frame.AsSpan(Http2FrameHeader.Size));
        return _stream!.WriteAsync(frame).AsTask();
    }

    public Task SendSettingsAsync(params (Http2Setting Setting, uint Value)[] settings)
    {
        var payload = new byte[6 * settings.Length];
        for (var i = 0; i < settings.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(6 * i), (ushort)settings[i].Setting);
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(6 * i + 2), settings[i].Value);
        }
        return SendAsync(Http2FrameType.Settings, Http2FrameFlags.None, 0, payload);
    }

    public Task SendHeadersAsync(bool endStream, params (string Name, string Value)[] fields)
    {
        var flags = Http2FrameFlags.EndHeaders | (endStream ? Http2FrameFlags.EndStream : Http2FrameFlags.None);
        return SendAsync(Http2FrameType.Headers, flags, 1, HeaderBlock(fields));
    }

    /// <summary>An HPACK block of <paramref name="fields"/> (literals, as the client's encoder writes them).</summary>
    public static byte[] HeaderBlock(params (string Name, string Value)[] fields)
    {
        var block = new ArrayBufferWriter<byte>();
        foreach ((string name, string value) in fields) HpackEncoder.WriteField(block, name, value);
        return block.WrittenSpan.ToArray();
    }

    public Task SendResponseHeadersAsync() => SendHeadersAsync(false, (":status", "200"), ("content-type", "application/grpc"));

    public Task SendTrailersAsync(StatusCode code, string message = "") =>
        SendHeadersAsync(true, ("grpc-status", ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture)), ("grpc-message", message));

    /// <summary>DATA on stream 1; with <paramref name="padding"/> &gt; 0 the frame is PADDED with that many zeros.</summary>
    public Task SendDataAsync(ReadOnlySpan<byte> data, int padding = 0, bool endStream = false)
    {
        var flags = endStream ? Http2FrameFlags.EndStream : Http2FrameFlags.None;
        if (padding == 0) return SendAsync(Http2FrameType.Data, flags, 1, data);
        var payload = new byte[1 + data.Length + padding];
        payload[0] = (byte)padding;
        data.CopyTo(payload.AsSpan(1));
        return SendAsync(Http2FrameType.Data, flags | Http2FrameFlags.Padded, 1, payload);
    }

    public Task SendRawAsync(byte[] bytes) => _stream!.WriteAsync(bytes).AsTask();

    /// <summary>A message as gRPC frames it: flag, big-endian length, protobuf bytes.</summary>
    public static byte[] Framed(IMessage message)
    {
        var output = new ArrayBufferWriter<byte>();
        LengthPrefixedMessage.Write(output, message, int.MaxValue, "response");
        return output.WrittenSpan.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        if (_stream is not null) await _stream.DisposeAsync();
        _listener.Stop();
    }

    /// <summary>One frame the client sent.</summary>
    public sealed record Frame(Http2FrameHeader Header, byte[] Payload)
    {
        public uint ReadUInt32(int at) => BinaryPrimitives.ReadUInt32BigEndian(Payload.AsSpan(at));

        /// <summary>The SETTINGS entries of a SETTINGS frame.</summary>
        public Dictionary<Http2Setting, uint> Settings()
        {
            var settings = new Dictionary<Http2Setting, uint>();
            for (var at = 0; at + 6 <= Payload.Length; at += 6)
                settings[(Http2Setting)BinaryPrimitives.ReadUInt16BigEndian(Payload.AsSpan(at))] = ReadUInt32(at + 2);
            return settings;
        }
    }
}
