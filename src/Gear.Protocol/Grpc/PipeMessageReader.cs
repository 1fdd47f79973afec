using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Google.Protobuf;

namespace Gear.Protocol.Grpc;

/// <summary>
/// Reads length-prefixed messages from a <see cref="PipeReader"/> (Kestrel's request body, or a client's
/// response stream wrapped in one). The pipe's pooled segments hold the bytes; messages are parsed from the
/// <see cref="ReadOnlySequence{T}"/> without copying them out.
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
public sealed class PipeMessageReader<T> where T : class, IMessage<T>
{
    private readonly PipeReader _reader;
    private readonly MessageParser<T> _parser;
    private readonly int _maxMessageSize;
    private readonly string _what;

    /// <summary>Creates a reader.</summary>
    /// <param name="reader">The byte stream.</param>
    /// <param name="parser">Parses each message.</param>
    /// <param name="maxMessageSize">The largest message allowed, in bytes.</param>
    /// <param name="what">"request" or "response", for error texts.</param>
    public PipeMessageReader(PipeReader reader, MessageParser<T> parser, int maxMessageSize, string what)
    {
        _reader = reader;
        _parser = parser;
        _maxMessageSize = maxMessageSize;
        _what = what;
    }

    /// <summary>
    /// Reads the next message; null at the clean end of the stream. Throws <see cref="RpcException"/> for
    /// framing errors (INTERNAL, RESOURCE_EXHAUSTED) and for a stream that ends mid-message (INTERNAL).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // no state-machine box per message
    public async ValueTask<T?> ReadAsync(CancellationToken cancellationToken)
    {
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
                    message = LengthPrefixedMessage.Parse(_parser, payload, _what);
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
                // On success consume the message; otherwise say we looked at everything so the next read waits
                // for more bytes. After an error the pipe is left consistent for whoever completes it.
                if (done) _reader.AdvanceTo(buffer.Start);
                else _reader.AdvanceTo(buffer.Start, buffer.End);
            }
            if (done) return message;
        }
    }
}
