using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Gear.Protocol.Grpc.Http2;

/// <summary>
/// An HTTP/2 client connection that carries one call (stream 1) and is closed with it. It exists for the bulk
/// streams: a learner's SampleStream replies, whose DATA payloads its read loop receives straight from the
/// socket into the buffer the reader is waiting to fill (SocketsHttpHandler copies every byte twice more, into
/// the connection's buffer and then the stream's, before the reader sees it); and an actor's InsertStream
/// requests, which it sends as DATA frames as large as the server allows, the actor's buffers written to the
/// socket as they are (SocketsHttpHandler copies them into 16 KiB frames and sends each with a system call of
/// its own). It advertises the largest frame size HTTP/2 allows, so the server sends few, large DATA frames.
/// The read loop answers PING and SETTINGS on its own, so a learner that stops reading for a while keeps its
/// connection; what it does not read waits in a queue bounded by the flow-control window.
/// </summary>
internal sealed partial class SingleCallConnection : IDisposable
{
    private const int StreamId = 1;
    private static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    private readonly string _authority;
    private readonly Stream _transport;
    private readonly int _receiveWindow;
    private readonly int _windowUpdateThreshold;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly byte[] _controlFrame = new byte[2 * (Http2FrameHeader.Size + 4)]; // written only under _writeLock
    private readonly bool _requestStreamed;
    private byte[]? _frameStage; // a DATA frame's header and small pieces, coalesced into one write (only under _writeLock)
    private readonly object _gate = new();
    private readonly Timer? _keepAlive;
    private readonly long _keepAliveDelayMs;
    private readonly long _keepAliveTimeoutMs;

    // Send side (under _gate): the request is the only DATA the client sends.
    private long _sendWindowStream = Http2FrameHeader.DefaultWindowSize;
    private long _sendWindowConnection = Http2FrameHeader.DefaultWindowSize;
    private int _peerInitialWindow = Http2FrameHeader.DefaultWindowSize;
    private int _peerMaxFrameSize = Http2FrameHeader.DefaultMaxFrameSize;
    private TaskCompletionSource _sendWindowGrew = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Receive-side flow control: bytes the server has sent that the client has not yet given back in WINDOW_UPDATE.
    private long _outstanding;
    private int _creditOwed;

    private long _lastReceivedMs = Environment.TickCount64;
    private long _pingSentMs;
    private int _closed;

    /// <summary><paramref name="transport"/> owns the socket: disposing it closes the connection.</summary>
    private SingleCallConnection(Stream transport, Uri address, GrpcChannelOptions options, bool requestStreamed)
    {
        _authority = address.Authority;
        _transport = transport;
        _requestStreamed = requestStreamed;
        _receiveWindow = options.InitialStreamWindowSize;
        // Credit back in eighths: often enough that the server never waits on a full window, rarely enough that
        // a multi-megabyte reply costs a handful of WINDOW_UPDATEs.
        _windowUpdateThreshold = Math.Max(_receiveWindow / 8, Http2FrameHeader.DefaultWindowSize / 2);
        if (options.KeepAlivePingDelay != Timeout.InfiniteTimeSpan)
        {
            _keepAliveDelayMs = (long)options.KeepAlivePingDelay.TotalMilliseconds;
            _keepAliveTimeoutMs = (long)options.KeepAlivePingTimeout.TotalMilliseconds;
            var period = TimeSpan.FromMilliseconds(Math.Clamp(Math.Min(_keepAliveDelayMs, _keepAliveTimeoutMs) / 2, 10, 1000));
            _keepAlive = new Timer(static state => ((SingleCallConnection)state!).CheckKeepAlive(), this, period, period);
        }
    }

    /// <summary>The response headers; faults if the connection fails before they arrive.</summary>
    public Task<Http2ResponseHead> ResponseHead => _head.Task;

    /// <summary>The trailers, once the stream has ended with them (null for Trailers-Only and before the end).</summary>
    public List<KeyValuePair<string, string>>? Trailers
    {
        get { lock (_gate) return _trailers; }
    }

    /// <summary>
    /// Connects to <paramref name="address"/> (TLS with ALPN "h2" for https), sends the preface, the settings,
    /// the request headers and the request body, and starts reading. <paramref name="headerBlock"/> is the
    /// HPACK-encoded request headers. A <paramref name="body"/> is the whole request and ends the client's half
    /// of the stream; without one the request stays open for <see cref="SendMessageAsync"/> and
    /// <see cref="CompleteRequestAsync"/> (a duplex call), and responses are queued as they arrive rather than
    /// waiting in the socket for the reader, so that a writer that reads them later is never held up.
    /// </summary>
    public static async Task<SingleCallConnection> OpenAsync(
        Uri address, GrpcChannelOptions options, RemoteCertificateValidationCallback? validation,
        ReadOnlyMemory<byte> headerBlock, ReadOnlyMemory<byte>? body, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? transport = null;
        try
        {
            await socket.ConnectAsync(EndPointOf(address), cancellationToken).ConfigureAwait(false);
            transport = new NetworkStream(socket, ownsSocket: true);
            if (address.Scheme == Uri.UriSchemeHttps)
                transport = await NegotiateTlsAsync(transport, address, options, validation, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (transport is not null) await transport.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            throw;
        }
        var connection = new SingleCallConnection(transport, address, options, requestStreamed: body is null);
        await connection.StartAsync(headerBlock, body, cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private static EndPoint EndPointOf(Uri address) =>
        IPAddress.TryParse(address.DnsSafeHost, out IPAddress? ip)
            ? new IPEndPoint(ip, address.Port)
            : new DnsEndPoint(address.DnsSafeHost, address.Port);

    private static async Task<Stream> NegotiateTlsAsync(
        Stream transport, Uri address, GrpcChannelOptions options, RemoteCertificateValidationCallback? validation, CancellationToken cancellationToken)
    {
        var tls = new SslStream(transport, leaveInnerStreamOpen: false);
        SslClientAuthenticationOptions? configured = options.SslOptions;
        var settings = new SslClientAuthenticationOptions
        {
            TargetHost = address.IdnHost,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = validation ?? configured?.RemoteCertificateValidationCallback,
            ClientCertificates = configured?.ClientCertificates,
            ClientCertificateContext = configured?.ClientCertificateContext,
            LocalCertificateSelectionCallback = configured?.LocalCertificateSelectionCallback,
            EnabledSslProtocols = configured?.EnabledSslProtocols ?? default,
            CertificateRevocationCheckMode = configured?.CertificateRevocationCheckMode ?? default,
            CipherSuitesPolicy = configured?.CipherSuitesPolicy,
        };
        await tls.AuthenticateAsClientAsync(settings, cancellationToken).ConfigureAwait(false);
        if (tls.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"{address.Authority} did not agree to HTTP/2 in the TLS handshake (ALPN).");
        }
        return tls;
    }

    /// <summary>
    /// Everything up to the request body goes in one write: preface, SETTINGS, the connection window's raise,
    /// HEADERS (and CONTINUATION), and the body as well when it fits the windows a server starts with.
    /// </summary>
    private async Task StartAsync(ReadOnlyMemory<byte> headerBlock, ReadOnlyMemory<byte>? body, CancellationToken cancellationToken)
    {
        var opening = new ArrayBufferWriter<byte>(256 + headerBlock.Length + (body?.Length ?? 0));
        opening.Write(Preface);
        WriteSettings(opening);
        if (_receiveWindow > Http2FrameHeader.DefaultWindowSize)
        {
            // The connection's window starts at the default whatever SETTINGS say; only WINDOW_UPDATE raises it.
            WriteFrame(opening, new Http2FrameHeader(4, Http2FrameType.WindowUpdate, Http2FrameFlags.None, 0),
                BigEndian((uint)(_receiveWindow - Http2FrameHeader.DefaultWindowSize)));
        }
        WriteHeaderFrames(opening, headerBlock.Span);
        bool bodyFits = body is { Length: <= Http2FrameHeader.DefaultMaxFrameSize };
        if (bodyFits)
        {
            ReadOnlyMemory<byte> whole = body!.Value;
            WriteFrame(opening, new Http2FrameHeader(whole.Length, Http2FrameType.Data, Http2FrameFlags.EndStream, StreamId), whole.Span);
            _sendWindowStream -= whole.Length;
            _sendWindowConnection -= whole.Length;
        }
        await WriteAsync(opening.WrittenMemory, cancellationToken).ConfigureAwait(false);
        // The loop ends only through Fail (it catches everything), so nothing waits for its task.
        _ = Task.Run(ReadLoopAsync, CancellationToken.None);
        if (body is not { } large || bodyFits) return;
        try
        {
            await SendDataAsync(new[] { large }, large.Length, endStream: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Http2StreamEndedException)
        {
            // The server answered before reading the whole request (a refusal): its status is what matters.
        }
    }

    private void WriteSettings(ArrayBufferWriter<byte> output)
    {
        Span<byte> settings = stackalloc byte[4 * 6];
        WriteSetting(settings, Http2Setting.EnablePush, 0);
        WriteSetting(settings[6..], Http2Setting.InitialWindowSize, (uint)_receiveWindow);
        WriteSetting(settings[12..], Http2Setting.MaxFrameSize, Http2FrameHeader.MaxAllowedFrameSize);
        WriteSetting(settings[18..], Http2Setting.MaxHeaderListSize, MaxHeaderListSize);
        WriteFrame(output, new Http2FrameHeader(settings.Length, Http2FrameType.Settings, Http2FrameFlags.None, 0), settings);

        static void WriteSetting(Span<byte> destination, Http2Setting setting, uint value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)setting);
            BinaryPrimitives.WriteUInt32BigEndian(destination[2..], value);
        }
    }

    private static void WriteHeaderFrames(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> block)
    {
        // Before the server's SETTINGS arrive only the default frame size is safe.
        var type = Http2FrameType.Headers;
        do
        {
            int length = Math.Min(block.Length, Http2FrameHeader.DefaultMaxFrameSize);
            var flags = length == block.Length ? Http2FrameFlags.EndHeaders : Http2FrameFlags.None;
            WriteFrame(output, new Http2FrameHeader(length, type, flags, StreamId), block[..length]);
            block = block[length..];
            type = Http2FrameType.Continuation;
        }
        while (!block.IsEmpty);
    }

    private static void WriteFrame(ArrayBufferWriter<byte> output, Http2FrameHeader header, ReadOnlySpan<byte> payload)
    {
        header.Write(output.GetSpan(Http2FrameHeader.Size));
        output.Advance(Http2FrameHeader.Size);
        output.Write(payload);
    }

    private static byte[] BigEndian(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>
    /// Sends one request message of a streamed request (see <see cref="OpenAsync"/>). One at a time: its DATA
    /// frames must not interleave with another message's.
    /// </summary>
    public ValueTask SendMessageAsync(FramedMessage message, CancellationToken cancellationToken) =>
        SendDataAsync(message.Pieces, message.Length, endStream: false, cancellationToken);

    /// <summary>Ends a streamed request: an empty DATA frame with END_STREAM.</summary>
    public ValueTask CompleteRequestAsync(CancellationToken cancellationToken) =>
        SendDataAsync(ReadOnlyMemory<ReadOnlyMemory<byte>>.Empty, 0, endStream: true, cancellationToken);

    /// <summary>Pieces smaller than this are copied behind their frame's header; larger ones are written as they are.</summary>
    private const int StagedPieceLimit = 4096;

    /// <summary>
    /// Sends <paramref name="length"/> bytes, the <paramref name="pieces"/> in order, as DATA frames as large as
    /// the server's windows and frame size allow (END_STREAM on the last one when <paramref name="endStream"/>).
    /// A frame's header goes out with the small pieces after it in one write, and each large piece with a
    /// write of its own, straight from the caller's buffer. A failure in the middle of a frame leaves the
    /// stream unusable, so it aborts the connection.
    /// </summary>
    private async ValueTask SendDataAsync(ReadOnlyMemory<ReadOnlyMemory<byte>> pieces, long length, bool endStream, CancellationToken cancellationToken)
    {
        var piece = 0;
        var offset = 0;
        long left = length;
        do
        {
            int chunk = await ReserveSendWindowAsync(left, cancellationToken).ConfigureAwait(false);
            bool last = chunk == left;
            var flags = last && endStream ? Http2FrameFlags.EndStream : Http2FrameFlags.None;
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                byte[] stage = _frameStage ??= new byte[Http2FrameHeader.Size + 4 * StagedPieceLimit];
                new Http2FrameHeader(chunk, Http2FrameType.Data, flags, StreamId).Write(stage);
                int staged = Http2FrameHeader.Size;
                for (int frameLeft = chunk; frameLeft > 0;)
                {
                    ReadOnlyMemory<byte> current = pieces.Span[piece];
                    int take = Math.Min(current.Length - offset, frameLeft);
                    ReadOnlyMemory<byte> run = current.Slice(offset, take);
                    if (take < StagedPieceLimit && staged + take <= stage.Length)
                    {
                        run.Span.CopyTo(stage.AsSpan(staged));
                        staged += take;
                    }
                    else
                    {
                        if (staged > 0) await _transport.WriteAsync(stage.AsMemory(0, staged), cancellationToken).ConfigureAwait(false);
                        staged = 0;
                        await _transport.WriteAsync(run, cancellationToken).ConfigureAwait(false);
                    }
                    frameLeft -= take;
                    offset += take;
                    if (offset == current.Length)
                    {
                        piece++;
                        offset = 0;
                    }
                }
                if (staged > 0) await _transport.WriteAsync(stage.AsMemory(0, staged), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                Abort(exception);
                throw;
            }
            finally
            {
                _writeLock.Release();
            }
            left -= chunk;
        }
        while (left > 0);
    }

    /// <summary>
    /// Takes up to <paramref name="wanted"/> bytes (at most one frame's worth) of the server's stream and
    /// connection windows, waiting while either is empty. 0 only for 0 wanted.
    /// </summary>
    private async ValueTask<int> ReserveSendWindowAsync(long wanted, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task grew;
            lock (_gate)
            {
                ThrowIfCannotSend();
                long window = Math.Min(_sendWindowStream, _sendWindowConnection);
                var chunk = (int)Math.Min(Math.Min(wanted, window), _peerMaxFrameSize);
                if (chunk > 0 || wanted == 0)
                {
                    _sendWindowStream -= chunk;
                    _sendWindowConnection -= chunk;
                    return chunk;
                }
                grew = _sendWindowGrew.Task;
            }
            await grew.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Wakes a request send waiting for window (or lets it see that the connection failed).</summary>
    private void SignalSendWindow()
    {
        TaskCompletionSource grew;
        lock (_gate)
        {
            grew = _sendWindowGrew;
            _sendWindowGrew = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        grew.TrySetResult();
    }

    /// <summary>
    /// Counts bytes handed to the reader (or padding dropped) and, every threshold's worth, gives them back to
    /// the server for the stream and the connection at once (they are one and the same here).
    /// </summary>
    private ValueTask CreditAsync(int consumed)
    {
        if (consumed == 0 || Interlocked.Add(ref _creditOwed, consumed) < _windowUpdateThreshold) return default;
        int owed = Interlocked.Exchange(ref _creditOwed, 0);
        if (owed == 0) return default;
        // Counted as returned before it is sent: the server may use it as soon as it arrives.
        Interlocked.Add(ref _outstanding, -owed);
        return SendControlAsync(ControlFrame.WindowUpdate, (uint)owed);
    }

    private enum ControlFrame { WindowUpdate, SettingsAck, PingAck, Ping, ResetCancel, GoAway }

    /// <summary>Sends a small control frame from the preallocated buffer (no allocation per frame).</summary>
    private async ValueTask SendControlAsync(ControlFrame kind, ulong value = 0)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            int length = FormatControl(kind, value);
            await _transport.WriteAsync(_controlFrame.AsMemory(0, length)).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException)
        {
            // The read loop sees the broken connection too and fails the call with its reason.
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private int FormatControl(ControlFrame kind, ulong value)
    {
        Span<byte> frame = _controlFrame;
        switch (kind)
        {
            case ControlFrame.WindowUpdate:
                for (var stream = 0; stream <= StreamId; stream++)
                {
                    Span<byte> one = frame.Slice(stream * 13, 13);
                    new Http2FrameHeader(4, Http2FrameType.WindowUpdate, Http2FrameFlags.None, stream).Write(one);
                    BinaryPrimitives.WriteUInt32BigEndian(one[9..], (uint)value);
                }
                return 26;
            case ControlFrame.SettingsAck:
                new Http2FrameHeader(0, Http2FrameType.Settings, Http2FrameFlags.Ack, 0).Write(frame);
                return 9;
            case ControlFrame.Ping or ControlFrame.PingAck:
                new Http2FrameHeader(8, Http2FrameType.Ping, kind == ControlFrame.PingAck ? Http2FrameFlags.Ack : Http2FrameFlags.None, 0).Write(frame);
                BinaryPrimitives.WriteUInt64BigEndian(frame[9..], value);
                return 17;
            case ControlFrame.ResetCancel:
                new Http2FrameHeader(4, Http2FrameType.RstStream, Http2FrameFlags.None, StreamId).Write(frame);
                BinaryPrimitives.WriteUInt32BigEndian(frame[9..], (uint)Http2ErrorCode.Cancel);
                return 13;
            default:
                // GOAWAY: the last stream the client processed from the server (none; it accepts no pushes), and the code.
                new Http2FrameHeader(8, Http2FrameType.GoAway, Http2FrameFlags.None, 0).Write(frame);
                BinaryPrimitives.WriteUInt32BigEndian(frame[9..], 0);
                BinaryPrimitives.WriteUInt32BigEndian(frame[13..], (uint)value);
                return 17;
        }
    }

    private async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _transport.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void CheckKeepAlive()
    {
        long now = Environment.TickCount64;
        long sent = Volatile.Read(ref _pingSentMs);
        if (sent != 0)
        {
            if (now - sent > _keepAliveTimeoutMs)
            {
                Abort(new IOException($"The server did not answer a keepalive PING within {_keepAliveTimeoutMs} ms."));
            }
            return;
        }
        if (now - Volatile.Read(ref _lastReceivedMs) < _keepAliveDelayMs) return;
        Volatile.Write(ref _pingSentMs, now);
        _ = SendControlAsync(ControlFrame.Ping, (ulong)now);
    }

    /// <summary>
    /// Cancels the call: RST_STREAM(CANCEL) when the socket is free to take it at once, then the connection is
    /// closed (which a server treats as a reset of its one stream anyway). A read in progress fails with
    /// <paramref name="reason"/>.
    /// </summary>
    public void Abort(Exception reason)
    {
        Fail(reason);
        Close(ControlFrame.ResetCancel);
    }

    /// <summary>Closes the connection after its call (GOAWAY NO_ERROR first when the socket is free).</summary>
    public void Dispose()
    {
        Fail(new ObjectDisposedException(nameof(SingleCallConnection), "The call's connection was closed."));
        Close(ControlFrame.GoAway);
    }

    private void Close(ControlFrame farewell)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        _keepAlive?.Dispose();
        if (_writeLock.Wait(0))
        {
            try
            {
                // A few bytes into an idle socket's send buffer: this does not block.
                _transport.Write(_controlFrame, 0, FormatControl(farewell, (ulong)Http2ErrorCode.NoError));
            }
            catch (Exception exception) when (exception is IOException or ObjectDisposedException)
            {
                // Already broken: closing is all that is left.
            }
            finally
            {
                _writeLock.Release();
            }
        }
        _transport.Dispose();
        ReleaseQueue();
    }
}
