using Gear.Server.Service;

namespace Gear.Server.DataPlane;

/// <summary>
/// Writes gathered batches as data-plane frames on one TCP connection. The header and the per-window metadata
/// (small) go through one scratch buffer allocated per connection; the column and mask payloads are written
/// straight from the gather buffer's pinned native memory, so a batch costs no copy and no allocation here.
/// </summary>
internal sealed class BatchFrameWriter
{
    private readonly Stream _output;
    private readonly BatchFrameEncoder _encoder;
    private readonly byte[] _scratch;
    private readonly int _columnCount;

    public BatchFrameWriter(Stream output, ulong session, int columnCount, int maxWindows)
    {
        _output = output;
        _columnCount = columnCount;
        _encoder = new BatchFrameEncoder(session, columnCount);
        _scratch = new byte[_encoder.FixedBytes(0) + Math.Max(maxWindows * Gear.Protocol.DataPlane.BatchFrameHeader.MetadataBytesPerWindow, 1024)];
    }

    /// <summary>Writes <paramref name="buffer"/>'s batch as frame <paramref name="sequence"/>.</summary>
    public async ValueTask WriteBatchAsync(GatherBuffer buffer, ulong sequence, CancellationToken cancellationToken)
    {
        var length = _encoder.WriteBatchPrefix(buffer, sequence, _scratch);
        await _output.WriteAsync(_scratch.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        for (var c = 0; c < _columnCount; c++)
            await _output.WriteAsync(buffer.Column(c), cancellationToken).ConfigureAwait(false);
        await _output.WriteAsync(buffer.Mask, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes an end frame: status 0 after the last batch, or a gRPC status code and message.</summary>
    public async ValueTask WriteEndAsync(ulong sequence, int status, string message, CancellationToken cancellationToken)
    {
        var length = _encoder.WriteEnd(sequence, status, message, _scratch);
        await _output.WriteAsync(_scratch.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
    }
}
