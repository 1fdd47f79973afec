using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.ExceptionServices;

namespace Gear.Protocol.Grpc.Http2;

/// <summary>The read loop, the frames it handles, and the reader's side of the response body.</summary>
internal sealed partial class SingleCallConnection
{
    private const uint MaxHeaderListSize = 64 * 1024;

    /// <summary>
    /// How long DATA waits in the socket for the reader before the loop queues it. A reader that comes back
    /// within this gets the bytes received straight into its buffer (they wait in the kernel's socket buffer,
    /// and TCP holds the server back meanwhile); one that stays away longer (a learner busy training) finds them
    /// queued, and the loop goes on answering PING and SETTINGS. Responses to a streamed request (a duplex call)
    /// are queued at once: there the loop must go on reading the server's WINDOW_UPDATEs for the writer.
    /// </summary>
    private static readonly TimeSpan ReaderWait = TimeSpan.FromMilliseconds(250);

    /// <summary>Compressed header blocks beyond this are refused (headers and trailers are small in gRPC).</summary>
    private const int MaxHeaderBlockSize = 256 * 1024;

    private readonly byte[] _input = new byte[64 * 1024];
    private readonly HpackDecoder _hpack = new(maxHeaderListSize: (int)MaxHeaderListSize);
    private readonly ReceivedDataQueue _received = new();
    private readonly TaskCompletionSource<Http2ResponseHead> _head = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inputStart;
    private int _inputEnd;
    private PendingRead? _pending;
    private Exception? _failure;
    private bool _headersReceived;
    private bool _ended;
    private List<KeyValuePair<string, string>>? _trailers;
    private int _queueOwners = 2; // the read loop and the close: whichever lets go last returns the queue's chunks
    private TaskCompletionSource? _readerActivity;
    private bool _loopFilling; // the loop is receiving into _pending's buffer (under _gate)

    /// <summary>
    /// Reads response body bytes into <paramref name="destination"/> until at least <paramref name="minimum"/>
    /// are there; fewer only at the end of the stream. Cancelling <paramref name="cancellationToken"/> aborts
    /// the connection (the loop may be receiving into <paramref name="destination"/>, so the read only returns
    /// once the loop lets go of it). One read at a time.
    /// </summary>
    public async ValueTask<int> ReadAsync(Memory<byte> destination, int minimum, CancellationToken cancellationToken)
    {
        PendingRead? pending = null;
        Exception? failure = null;
        TaskCompletionSource? activity;
        int taken;
        lock (_gate)
        {
            if (_pending is not null) throw new InvalidOperationException("Another read is already waiting on this stream.");
            activity = _readerActivity;
            _readerActivity = null;
            taken = _received.Take(destination.Span);
            if (taken < minimum)
            {
                if (_failure is not null) failure = _failure;
                else if (!_ended) _pending = pending = new PendingRead(destination, minimum, taken);
            }
        }
        activity?.TrySetResult();
        await CreditAsync(taken).ConfigureAwait(false);
        if (failure is not null) ExceptionDispatchInfo.Throw(failure);
        if (pending is null) return taken;
        using CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(
            static state => ((SingleCallConnection)state!).Abort(new OperationCanceledException("The read was cancelled.")), this);
        return await pending.Task.ConfigureAwait(false);
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            for (var first = true; ; first = false)
            {
                Http2FrameHeader frame = await ReadFrameHeaderAsync().ConfigureAwait(false);
                if (first && (frame.Type != Http2FrameType.Settings || frame.Has(Http2FrameFlags.Ack)))
                {
                    // A server's preface is a SETTINGS frame; anything else is not HTTP/2 (an HTTP/1.1 port, say).
                    throw new IOException($"The server did not answer with HTTP/2: its first bytes are not a SETTINGS frame " +
                        $"(is {_authority} an HTTP/1.1 or non-gRPC port?).");
                }
                Volatile.Write(ref _lastReceivedMs, Environment.TickCount64);
                Volatile.Write(ref _pingSentMs, 0); // any frame shows the server is alive
                switch (frame.Type)
                {
                    case Http2FrameType.Data: await ReceiveDataAsync(frame).ConfigureAwait(false); break;
                    case Http2FrameType.Headers: await ReceiveHeadersAsync(frame).ConfigureAwait(false); break;
                    case Http2FrameType.RstStream: await ReceiveResetAsync(frame).ConfigureAwait(false); break;
                    case Http2FrameType.Settings: await ReceiveSettingsAsync(frame).ConfigureAwait(false); break;
                    case Http2FrameType.Ping: await ReceivePingAsync(frame).ConfigureAwait(false); break;
                    case Http2FrameType.GoAway: await ReceiveGoAwayAsync(frame).ConfigureAwait(false); break;
                    case Http2FrameType.WindowUpdate: await ReceiveWindowUpdateAsync(frame).ConfigureAwait(false); break;
                    case Http2FrameType.PushPromise:
                        throw new Http2ProtocolException(Http2ErrorCode.ProtocolError, "The server sent PUSH_PROMISE, which the client disabled.");
                    case Http2FrameType.Continuation:
                        throw new Http2ProtocolException(Http2ErrorCode.ProtocolError, "The server sent CONTINUATION without HEADERS before it.");
                    default:
                        // PRIORITY and frame types this client does not know are ignored, as RFC 9113 asks.
                        await SkipAsync(frame.Length).ConfigureAwait(false);
                        break;
                }
            }
        }
        catch (Exception exception)
        {
            if (exception is Http2ProtocolException protocol && Volatile.Read(ref _closed) == 0)
                await SendControlAsync(ControlFrame.GoAway, (ulong)protocol.Code).ConfigureAwait(false);
            Fail(exception is HpackException ? new Http2ProtocolException(Http2ErrorCode.CompressionError, exception.Message) : exception);
        }
        finally
        {
            ReleaseQueue();
        }
    }

    /// <summary>
    /// Records why the stream can no longer be read (unless it already ended cleanly) and wakes whoever waits:
    /// the reader, the response headers, a request send waiting for window.
    /// </summary>
    private void Fail(Exception reason)
    {
        PendingRead? pending;
        TaskCompletionSource? activity;
        lock (_gate)
        {
            if (_failure is null && !_ended) _failure = reason;
            // A read the loop is receiving into is completed by the loop, once its receive has failed (the
            // caller closes the socket right after): never while bytes may still land in its buffer.
            pending = _loopFilling ? null : _pending;
            if (pending is not null) _pending = null;
            activity = _readerActivity;
            _readerActivity = null;
        }
        activity?.TrySetResult();
        if (_head.TrySetException(reason)) _ = _head.Task.Exception; // a call that fails early may never look at them
        if (pending is not null)
        {
            if (_failure is not null) pending.Fail(_failure);
            else pending.Complete();
        }
        SignalSendWindow();
    }

    /// <summary>Throws why no more request bytes can go: the connection failed, or the server has ended the stream.</summary>
    private void ThrowIfCannotSend()
    {
        if (_failure is not null) ExceptionDispatchInfo.Throw(_failure);
        if (_ended) throw new Http2StreamEndedException();
    }

    private void ReleaseQueue()
    {
        if (Interlocked.Decrement(ref _queueOwners) != 0) return;
        lock (_gate) _received.Clear();
    }

    // ---- frames ----

    private async ValueTask ReceiveDataAsync(Http2FrameHeader frame)
    {
        RequireOurStream(frame);
        if (!_headersReceived) throw new Http2ProtocolException(Http2ErrorCode.ProtocolError, "The server sent DATA before the response headers.");
        if (_ended) throw new Http2ProtocolException(Http2ErrorCode.StreamClosed, "The server sent DATA after ending the stream.");
        if (Interlocked.Add(ref _outstanding, frame.Length) > _receiveWindow)
            throw new Http2ProtocolException(Http2ErrorCode.FlowControlError, $"The server sent more than the {_receiveWindow}-byte window allows.");
        int padding = frame.Has(Http2FrameFlags.Padded) ? await ReadPadLengthAsync(frame).ConfigureAwait(false) : -1;
        int data = frame.Length - (padding + 1);

        for (int remaining = data, waitedOut = 0; remaining > 0;)
        {
            PendingRead? direct;
            Memory<byte> target = default;
            Task? readerActivity = null;
            lock (_gate)
            {
                // A waiting reader gets the bytes where it wants them; the queue is then empty (see
                // CommitAndFeedPending). Without one, wait while the reader keeps coming back, then queue.
                direct = _pending;
                _loopFilling = direct is not null;
                if (direct is not null) target = direct.Remaining[..Math.Min(remaining, direct.Remaining.Length)];
                else if (waitedOut == 0 && _failure is null && !_requestStreamed) readerActivity = (_readerActivity ??= new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                else target = _received.Reserve(remaining);
            }
            if (readerActivity is not null)
            {
                await readerActivity.WaitAsync(ReaderWait).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (!readerActivity.IsCompleted) waitedOut = 1;
                continue;
            }
            try
            {
                await ReadExactAsync(target).ConfigureAwait(false);
            }
            finally
            {
                if (direct is not null)
                {
                    lock (_gate) _loopFilling = false;
                }
            }
            remaining -= target.Length;
            if (direct is not null)
            {
                lock (_gate)
                {
                    direct.Filled += target.Length;
                    if (direct.IsSatisfied) _pending = null;
                    else direct = null;
                }
                direct?.Complete();
                await CreditAsync(target.Length).ConfigureAwait(false);
            }
            else
            {
                (PendingRead? fed, int taken) = CommitAndFeedPending(target.Length);
                fed?.Complete();
                await CreditAsync(taken).ConfigureAwait(false);
            }
        }
        if (padding > 0) await SkipAsync(padding).ConfigureAwait(false);
        await CreditAsync(frame.Length - data).ConfigureAwait(false);
        if (frame.Has(Http2FrameFlags.EndStream)) EndStream(trailers: null);
    }

    /// <summary>
    /// Makes received bytes readable; a reader that started waiting while they were on their way (it found the
    /// queue empty) takes them at once. Returns that reader if it is now satisfied, and how many bytes it took.
    /// </summary>
    private (PendingRead? Satisfied, int Taken) CommitAndFeedPending(int length)
    {
        lock (_gate)
        {
            _received.Commit(length);
            if (_pending is not { } pending) return (null, 0);
            int taken = _received.Take(pending.Remaining.Span);
            pending.Filled += taken;
            if (!pending.IsSatisfied) return (null, taken);
            _pending = null;
            return (pending, taken);
        }
    }

    private async ValueTask<int> ReadPadLengthAsync(Http2FrameHeader frame)
    {
        await FillAsync(1).ConfigureAwait(false);
        int padding = _input[_inputStart++];
        if (padding + 1 > frame.Length)
            throw new Http2ProtocolException(Http2ErrorCode.ProtocolError, $"A {frame.Type} frame's padding is longer than the frame.");
        return padding;
    }

    private void EndStream(List<KeyValuePair<string, string>>? trailers)
    {
        PendingRead? pending;
        lock (_gate)
        {
            _ended = true;
            _trailers = trailers;
            pending = _pending;
            _pending = null;
        }
        pending?.Complete();
    }

    private async ValueTask ReceiveHeadersAsync(Http2FrameHeader frame)
    {
        RequireOurStream(frame);
        var block = new ArrayBufferWriter<byte>(frame.Length);
        bool endStream = frame.Has(Http2FrameFlags.EndStream);
        await ReadHeaderFragmentAsync(frame, block).ConfigureAwait(false);
        for (Http2FrameHeader last = frame; !last.Has(Http2FrameFlags.EndHeaders);)
        {
            last = await ReadFrameHeaderAsync().ConfigureAwait(false);
            if (last.Type != Http2FrameType.Continuation || last.StreamId != StreamId)
                throw new Http2ProtocolException(Http2ErrorCode.ProtocolError, $"A header block was interrupted by a {last.Type} frame.");
            if (block.WrittenCount + last.Length > MaxHeaderBlockSize)
                throw new Http2ProtocolException(Http2ErrorCode.ProtocolError, $"A header block is longer than {MaxHeaderBlockSize} bytes.");
            await ReadHeaderFragmentAsync(last, block).ConfigureAwait(false);
        }
        var fields = new List<KeyValuePair<string, string>>();
        _hpack.Decode(block.WrittenSpan, fields); // always: the decoder's table must follow every block

        if (_ended) throw new Http2ProtocolException(Http2ErrorCode.StreamClosed, "The server sent HEADERS after ending the stream.");
        if (_headersReceived)
        {
            if (!endStream) throw new Http2ProtocolException(Http2ErrorCode.ProtocolError, "The server sent trailers that do not end the stream.");
            EndStream(fields);
            return;
        }
        int status = StatusOf(fields);
        if (status is >= 100 and < 200 && !endStream) return; // informational: the real response follows
        _headersReceived = true;
        _head.TrySetResult(new Http2ResponseHead(status, fields, endStream));
        if (endStream) EndStream(trailers: null);
    }

    private static int StatusOf(List<KeyValuePair<string, string>> fields)
    {
        foreach ((string name, string value) in fields)
        {
            if (name == ":status" && value.Length == 3 && int.TryParse(value, out int status)) return status;
        }
        throw new Http2ProtocolException(Http2ErrorCode.ProtocolError, "The response headers have no valid :status.");
    }

    /// <summary>Appends a HEADERS or CONTINUATION frame's fragment, without its padding and priority fields.</summary>
    private async ValueTask ReadHeaderFragmentAsync(Http2FrameHeader frame, ArrayBufferWriter<byte> block)
    {
        int padding = frame.Type == Http2FrameType.Headers && frame.Has(Http2FrameFlags.Padded)
            ? await ReadPadLengthAsync(frame).ConfigureAwait(false) : -1;
        int fragment = frame.Length - (padding + 1);
        if (frame.Type == Http2FrameType.Headers && frame.Has(Http2FrameFlags.Priority))
        {
            fragment -= 5;
            if (fragment < 0) throw new Http2ProtocolException(Http2ErrorCode.ProtocolError, "A HEADERS frame is too short for its priority fields.");
            await SkipAsync(5).ConfigureAwait(false);
        }
        if (fragment < 0) throw new Http2ProtocolException(Http2ErrorCode.ProtocolError, "A HEADERS frame's padding is longer than the frame.");
        await ReadExactAsync(block.GetMemory(fragment)[..fragment]).ConfigureAwait(false);
        block.Advance(fragment);
        if (padding > 0) await SkipAsync(padding).ConfigureAwait(false);
    }

    private async ValueTask ReceiveResetAsync(Http2FrameHeader frame)
    {
        RequireOurStream(frame);
        var code = (uint)await ReadControlValueAsync(frame, 4).ConfigureAwait(false);
        Fail(new Http2StreamResetException(code, $"The server reset the HTTP/2 stream (error code {code})."));
    }

    private async ValueTask ReceiveSettingsAsync(Http2FrameHeader frame)
    {
        if (frame.StreamId != 0) throw new Http2ProtocolException(Http2ErrorCode.ProtocolError, "The server sent SETTINGS on a stream.");
        if (frame.Has(Http2FrameFlags.Ack))
        {
            if (frame.Length != 0) throw new Http2ProtocolException(Http2ErrorCode.FrameSizeError, "The server's SETTINGS acknowledgement has a payload.");
            return;
        }
        if (frame.Length % 6 != 0) throw new Http2ProtocolException(Http2ErrorCode.FrameSizeError, "The server's SETTINGS are not whole 6-byte entries.");
        byte[] payload = new byte[frame.Length];
        await ReadExactAsync(payload).ConfigureAwait(false);
        for (var at = 0; at < payload.Length; at += 6)
        {
            var setting = (Http2Setting)BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(at));
            uint value = BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(at + 2));
            ApplySetting(setting, value);
        }
        await SendControlAsync(ControlFrame.SettingsAck).ConfigureAwait(false);
        SignalSendWindow();
    }

    private void ApplySetting(Http2Setting setting, uint value)
    {
        switch (setting)
        {
            case Http2Setting.InitialWindowSize:
                if (value > int.MaxValue) throw new Http2ProtocolException(Http2ErrorCode.FlowControlError, $"The server's initial window {value} is above 2^31-1.");
                lock (_gate)
                {
                    // A change applies to the open stream's window by the difference (RFC 9113 6.9.2).
                    _sendWindowStream += (int)value - _peerInitialWindow;
                    _peerInitialWindow = (int)value;
                }
                break;
            case Http2Setting.MaxFrameSize:
                if (value is < Http2FrameHeader.DefaultMaxFrameSize or > Http2FrameHeader.MaxAllowedFrameSize)
                    throw new Http2ProtocolException(Http2ErrorCode.ProtocolError, $"The server's maximum frame size {value} is outside 2^14..2^24-1.");
                lock (_gate) _peerMaxFrameSize = (int)value;
                break;
            default:
                // The header table size only matters to an encoder that indexes (this one does not); the rest
                // limit what the server accepts, and one request stream is within any of them.
                break;
        }
    }

    private async ValueTask ReceivePingAsync(Http2FrameHeader frame)
    {
        if (frame.StreamId != 0) throw new Http2ProtocolException(Http2ErrorCode.ProtocolError, "The server sent PING on a stream.");
        ulong opaque = await ReadControlValueAsync(frame, 8).ConfigureAwait(false);
        if (!frame.Has(Http2FrameFlags.Ack)) await SendControlAsync(ControlFrame.PingAck, opaque).ConfigureAwait(false);
    }

    private async ValueTask ReceiveGoAwayAsync(Http2FrameHeader frame)
    {
        if (frame.StreamId != 0) throw new Http2ProtocolException(Http2ErrorCode.ProtocolError, "The server sent GOAWAY on a stream.");
        if (frame.Length < 8) throw new Http2ProtocolException(Http2ErrorCode.FrameSizeError, "The server's GOAWAY is shorter than 8 bytes.");
        byte[] payload = new byte[frame.Length];
        await ReadExactAsync(payload).ConfigureAwait(false);
        int lastStream = (int)(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFF_FFFF);
        uint code = BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4));
        string detail = payload.Length > 8 ? $": {System.Text.Encoding.UTF8.GetString(payload, 8, payload.Length - 8)}" : ".";
        if (lastStream < StreamId)
        {
            // The server did not process the call: it is safe to make again (UNAVAILABLE).
            Fail(new IOException($"The server refused the call as it closes the connection (GOAWAY, error code {code}){detail}"));
        }
        else if (code != (uint)Http2ErrorCode.NoError)
        {
            Fail(new Http2StreamResetException(code, $"The server closed the connection with error code {code}{detail}"));
        }
        // A graceful GOAWAY that includes stream 1 lets the call finish.
    }

    private async ValueTask ReceiveWindowUpdateAsync(Http2FrameHeader frame)
    {
        var increment = (uint)await ReadControlValueAsync(frame, 4).ConfigureAwait(false) & 0x7FFF_FFFF;
        if (increment == 0) throw new Http2ProtocolException(Http2ErrorCode.ProtocolError, "The server sent a WINDOW_UPDATE of 0.");
        lock (_gate)
        {
            if (frame.StreamId == 0) _sendWindowConnection += increment;
            else if (frame.StreamId == StreamId) _sendWindowStream += increment;
            if (_sendWindowConnection > int.MaxValue || _sendWindowStream > int.MaxValue)
                throw new Http2ProtocolException(Http2ErrorCode.FlowControlError, "The server's WINDOW_UPDATE took a window above 2^31-1.");
        }
        SignalSendWindow();
    }

    private static void RequireOurStream(Http2FrameHeader frame)
    {
        if (frame.StreamId != StreamId)
            throw new Http2ProtocolException(Http2ErrorCode.ProtocolError, $"The server sent {frame.Type} on stream {frame.StreamId}, which the client never opened.");
    }

    // ---- bytes from the socket ----

    /// <summary>The payload of a fixed-size control frame (4 or 8 bytes) as one big-endian number, read from the input buffer.</summary>
    private async ValueTask<ulong> ReadControlValueAsync(Http2FrameHeader frame, int length)
    {
        if (frame.Length != length)
            throw new Http2ProtocolException(Http2ErrorCode.FrameSizeError, $"The server's {frame.Type} frame has {frame.Length} bytes, not {length}.");
        await FillAsync(length).ConfigureAwait(false);
        ReadOnlySpan<byte> payload = _input.AsSpan(_inputStart, length);
        _inputStart += length;
        return length == 8 ? BinaryPrimitives.ReadUInt64BigEndian(payload) : BinaryPrimitives.ReadUInt32BigEndian(payload);
    }

    private async ValueTask<Http2FrameHeader> ReadFrameHeaderAsync()
    {
        await FillAsync(Http2FrameHeader.Size).ConfigureAwait(false);
        var header = Http2FrameHeader.Read(_input.AsSpan(_inputStart, Http2FrameHeader.Size));
        _inputStart += Http2FrameHeader.Size;
        return header;
    }

    /// <summary>Makes at least <paramref name="count"/> bytes (at most the input buffer) available in it.</summary>
    private async ValueTask FillAsync(int count)
    {
        if (_inputEnd - _inputStart >= count) return;
        if (_inputStart > 0)
        {
            _input.AsSpan(_inputStart, _inputEnd - _inputStart).CopyTo(_input);
            _inputEnd -= _inputStart;
            _inputStart = 0;
        }
        while (_inputEnd < count)
        {
            int received = await _transport.ReadAsync(_input.AsMemory(_inputEnd)).ConfigureAwait(false);
            if (received == 0) throw new IOException("The server closed the connection.");
            _inputEnd += received;
        }
    }

    /// <summary>
    /// Fills <paramref name="destination"/>: first from what the input buffer holds, then a large remainder
    /// straight from the socket (the one copy a byte of a reply makes on the client), a small one through the
    /// buffer (so that the frame headers behind it come in the same receive).
    /// </summary>
    private async ValueTask ReadExactAsync(Memory<byte> destination)
    {
        int buffered = Math.Min(_inputEnd - _inputStart, destination.Length);
        _input.AsSpan(_inputStart, buffered).CopyTo(destination.Span);
        _inputStart += buffered;
        Memory<byte> rest = destination[buffered..];
        if (rest.IsEmpty) return;
        if (rest.Length >= _input.Length / 2)
        {
            await _transport.ReadExactlyAsync(rest).ConfigureAwait(false);
            return;
        }
        await FillAsync(rest.Length).ConfigureAwait(false);
        _input.AsSpan(_inputStart, rest.Length).CopyTo(rest.Span);
        _inputStart += rest.Length;
    }

    private async ValueTask SkipAsync(int count)
    {
        while (count > 0)
        {
            int chunk = Math.Min(count, _input.Length);
            await FillAsync(chunk).ConfigureAwait(false);
            _inputStart += chunk;
            count -= chunk;
        }
    }
}
