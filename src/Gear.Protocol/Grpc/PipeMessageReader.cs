using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Google.Protobuf;

namespace Gear.Protocol.Grpc;

/// <summary>
/// Reads length-prefixed messages from a <see cref="PipeReader"/> (Kestrel's request body, or a client's
/// response stream wrapped in one). The pipe's pooled segments hold the bytes; messages are parsed from the
/// <see cref="ReadOnlySequence{T}"/> without copying them out, by a <see cref="MessageDecoder{T}"/>.
/// </summary>
/// <typeparam name="T">What a message decodes to.</typeparam>
public sealed class PipeMessageReader<T> where T : class
{
    private readonly PipeReader _reader;
    private readonly MessageDecoder<T> _decode;
    private readonly int _maxMessageSize;
    private readonly string _what;
    private readonly bool _messagesBorrowBytes;
    private SequencePosition? _borrowedUntil;

    /// <summary>Creates a reader.</summary>
    /// <param name="reader">The byte stream.</param>
    /// <param name="decode">Decodes each message.</param>
    /// <param name="maxMessageSize">The largest message allowed, in bytes.</param>
    /// <param name="what">"request" or "response", for error texts.</param>
    /// <param name="messagesBorrowBytes">
    /// True when a decoded message may refer to the pipe's bytes it was decoded from instead of copying them: those
    /// bytes then stay in the pipe, valid, until the next <see cref="ReadAsync"/>, which consumes them first. (They
    /// also keep their share of the HTTP/2 flow-control window until then.)
    /// </param>
    public PipeMessageReader(PipeReader reader, MessageDecoder<T> decode, int maxMessageSize, string what, bool messagesBorrowBytes = false)
    {
        _reader = reader;
        _decode = decode;
        _maxMessageSize = maxMessageSize;
        _what = what;
        _messagesBorrowBytes = messagesBorrowBytes;
    }

    /// <summary>
    /// Reads the next message; null at the clean end of the stream. Throws <see cref="RpcException"/> for
    /// framing errors (INTERNAL, RESOURCE_EXHAUSTED) and for a stream that ends mid-message (INTERNAL).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // no state-machine box per message
    public async ValueTask<T?> ReadAsync(CancellationToken cancellationToken)
    {
        if (_borrowedUntil is { } borrowed)
        {
            _borrowedUntil = null;
            _reader.AdvanceTo(borrowed);
        }
        while (true)
        {
            ReadResult result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled) throw new OperationCanceledException(cancellationToken);
            ReadOnlySequence<byte> buffer = result.Buffer;
            T? message = null;
            bool done = false;
            try
            {
                if (LengthPrefixedMessage.TryRead(ref buffer, _maxMessageSize, _what, out ReadOnlySequence<byte> payload))
                {
                    message = Decode(payload);
                    done = true;
                }
                else if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty) throw LengthPrefixedMessage.Truncated(_what, buffer.Length);
                    done = true;
                }
            }
            finally
            {
                // On success consume the message (or, if it borrows the bytes, leave that to the next read);
                // otherwise say we looked at everything so the next read waits for more bytes. After an error the
                // pipe is left consistent for whoever completes it.
                if (done && message is not null && _messagesBorrowBytes) _borrowedUntil = buffer.Start;
                else if (done) _reader.AdvanceTo(buffer.Start);
                else _reader.AdvanceTo(buffer.Start, buffer.End);
            }
            if (done) return message;
        }
    }

    private T Decode(in ReadOnlySequence<byte> payload)
    {
        try
        {
            return _decode(payload);
        }
        catch (InvalidDataException exception)
        {
            throw LengthPrefixedMessage.ParseFailure(_what, exception);
        }
    }
}
