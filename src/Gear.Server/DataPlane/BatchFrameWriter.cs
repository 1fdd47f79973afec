using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Gear.Core.Tables;
using Gear.Protocol.DataPlane;
using Gear.Server.Service;

namespace Gear.Server.DataPlane;

/// <summary>
/// Writes batches as data-plane frames on one TCP connection. A batch arrives held (sampled, not gathered):
/// its frame goes out with vectored sends straight from the table's pages, so the kernel's copy into the
/// socket is the only copy on the server, as in a plain socket stream. If the socket stops taking bytes for
/// <see cref="StallTimeout"/> (a learner that stops reading mid-frame), or the platform has no vectored send,
/// the batch is gathered into its buffer, the pages are let go, and the rest is written from the copy: a
/// stalled learner holds neither the table's pages nor a thread. The header and metadata go through one
/// scratch buffer per connection; a batch allocates nothing here.
/// </summary>
internal sealed class BatchFrameWriter
{
    /// <summary>How long a send from the pages waits for the socket before falling back to the gathered copy.</summary>
    internal static readonly TimeSpan StallTimeout = TimeSpan.FromMilliseconds(100);

    private readonly Socket _socket;
    private readonly Stream _output;
    private readonly BatchFrameEncoder _encoder;
    private readonly byte[] _scratch;
    private readonly HeldFrameVectors _vectors;
    private readonly int _columnCount;

    public BatchFrameWriter(Socket socket, Stream output, ulong session, int[] stepBytes, int maxWindows)
    {
        _socket = socket;
        _output = output;
        _columnCount = stepBytes.Length;
        _encoder = new BatchFrameEncoder(session, _columnCount);
        // Pinned: the vectored send hands its address to the kernel.
        _scratch = GC.AllocateUninitializedArray<byte>(Math.Max(_encoder.FixedBytes(maxWindows), _encoder.FixedBytes(0) + 1024), pinned: true);
        _vectors = new HeldFrameVectors(stepBytes);
    }

    /// <summary>
    /// Writes <paramref name="buffer"/>'s batch, held by <paramref name="table"/>, as frame
    /// <paramref name="sequence"/>, and releases the hold (also when the write fails).
    /// </summary>
    public async ValueTask WriteHeldBatchAsync(Table table, GatherBuffer buffer, ulong sequence, CancellationToken cancellationToken)
    {
        var held = true;
        try
        {
            var prefix = _encoder.WriteBatchPrefix(buffer, sequence, _scratch);
            var sent = VectoredSend.Supported ? SendFromPages(table, buffer, prefix, cancellationToken) : 0;
            if (sent == FrameBytes(buffer, prefix))
                return;
            table.GatherHeld(buffer.Batch);
            table.ReleaseHeld(buffer.Batch);
            held = false;
            await WriteGatheredAsync(buffer, prefix, sent, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (held)
                table.ReleaseHeld(buffer.Batch);
        }
    }

    /// <summary>Writes an end frame: status 0 after the last batch, or a gRPC status code and message.</summary>
    public async ValueTask WriteEndAsync(ulong sequence, int status, string message, CancellationToken cancellationToken)
    {
        var length = _encoder.WriteEnd(sequence, status, message, _scratch);
        await _output.WriteAsync(_scratch.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends the frame from the pages until it is all sent or the socket stalls; returns the bytes sent. This
    /// blocks its thread (for the few milliseconds the kernel takes to copy a batch, waits included) because
    /// that is the cheapest way to move bytes: no wake-up and continuation per socket buffer's worth.
    /// </summary>
    private unsafe long SendFromPages(Table table, GatherBuffer buffer, int prefix, CancellationToken cancellationToken)
    {
        _vectors.Start(table, buffer.Batch, (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_scratch)), prefix);
        long sent = 0;
        while (_vectors.Fill() is var count and > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var bytes = VectoredSend.Send(_socket.SafeHandle, _vectors.Pending, count);
            if (bytes > 0)
            {
                _vectors.Consumed(bytes);
                sent += bytes;
            }
            else if (!_socket.Poll(StallTimeout, SelectMode.SelectWrite))
            {
                break;
            }
        }
        return sent;
    }

    /// <summary>Writes the frame from the gathered buffer, skipping the first <paramref name="skip"/> bytes (already sent).</summary>
    private async ValueTask WriteGatheredAsync(GatherBuffer buffer, int prefix, long skip, CancellationToken cancellationToken)
    {
        for (var part = 0; part < _columnCount + 2; part++)
        {
            var bytes = part == 0 ? _scratch.AsMemory(0, prefix) : part <= _columnCount ? buffer.Column(part - 1) : buffer.Mask;
            if (skip >= bytes.Length)
            {
                skip -= bytes.Length;
                continue;
            }
            await _output.WriteAsync(bytes[(int)skip..], cancellationToken).ConfigureAwait(false);
            skip = 0;
        }
    }

    private long FrameBytes(GatherBuffer buffer, int prefix)
    {
        long bytes = prefix + buffer.Mask.Length;
        for (var c = 0; c < _columnCount; c++)
            bytes += buffer.Column(c).Length;
        return bytes;
    }
}
