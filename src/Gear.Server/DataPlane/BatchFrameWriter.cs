using System.Runtime.InteropServices;
using Gear.Protocol.DataPlane;
using Gear.Server.Service;

namespace Gear.Server.DataPlane;

/// <summary>
/// Writes gathered batches as data-plane frames on one connection. The header and the per-window metadata
/// (small) go through one scratch buffer allocated per connection; the column and mask payloads are written
/// straight from the gather buffer's pinned native memory, so a batch costs no copy and no allocation here.
/// </summary>
internal sealed class BatchFrameWriter
{
    private readonly Stream _output;
    private readonly BatchFrameHeader _header;
    private readonly byte[] _scratch;

    public BatchFrameWriter(Stream output, ulong session, int columnCount, int maxWindows)
    {
        _output = output;
        _header = new BatchFrameHeader(columnCount) { Session = session };
        _scratch = new byte[_header.Size + Math.Max(maxWindows * BatchFrameHeader.MetadataBytesPerWindow, 1024)];
    }

    /// <summary>Writes <paramref name="buffer"/>'s batch as frame <paramref name="sequence"/>.</summary>
    public async ValueTask WriteBatchAsync(GatherBuffer buffer, ulong sequence, CancellationToken cancellationToken)
    {
        var length = Fill(buffer, sequence);
        await _output.WriteAsync(_scratch.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        for (var c = 0; c < _header.ColumnBytes.Length; c++)
            await _output.WriteAsync(buffer.Column(c), cancellationToken).ConfigureAwait(false);
        await _output.WriteAsync(buffer.Mask, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes an end frame: status 0 after the last batch, or a gRPC status code and message.</summary>
    public async ValueTask WriteEndAsync(ulong sequence, int status, string message, CancellationToken cancellationToken)
    {
        _header.Kind = FrameKind.End;
        _header.Sequence = sequence;
        _header.Windows = 0;
        _header.WindowLength = 0;
        _header.ItemCount = 0;
        _header.SelectionMass = 0;
        _header.Status = status;
        Array.Clear(_header.ColumnBytes);
        _header.MaskBytes = 0;
        var room = _scratch.Length - _header.Size;
        var text = System.Text.Encoding.UTF8.GetBytes(message);
        _header.MetadataBytes = Math.Min(text.Length, room);
        _header.Write(_scratch);
        text.AsSpan(0, _header.MetadataBytes).CopyTo(_scratch.AsSpan(_header.Size));
        await _output.WriteAsync(_scratch.AsMemory(0, _header.Size + _header.MetadataBytes), cancellationToken).ConfigureAwait(false);
    }

    private int Fill(GatherBuffer buffer, ulong sequence)
    {
        var batch = buffer.Batch;
        var count = batch.Count;
        _header.Kind = FrameKind.Batch;
        _header.Sequence = sequence;
        _header.Windows = count;
        _header.WindowLength = batch.WindowLength;
        _header.ItemCount = batch.ItemCount;
        _header.SelectionMass = batch.SelectionMass;
        _header.Status = 0;
        _header.MetadataBytes = count * BatchFrameHeader.MetadataBytesPerWindow;
        for (var c = 0; c < _header.ColumnBytes.Length; c++)
            _header.ColumnBytes[c] = buffer.Column(c).Length;
        _header.MaskBytes = buffer.Mask.Length;
        _header.Write(_scratch);
        // Metadata as raw little-endian arrays (every platform .NET runs this server on is little-endian).
        var at = _header.Size;
        at += Put(MemoryMarshal.AsBytes(batch.Keys), at);
        at += Put(MemoryMarshal.AsBytes(batch.TrajectoryKeys), at);
        at += Put(MemoryMarshal.AsBytes(batch.StartSteps), at);
        at += Put(MemoryMarshal.AsBytes(batch.Probabilities), at);
        at += Put(MemoryMarshal.AsBytes(batch.ImportanceWeights), at);
        return at;
    }

    private int Put(ReadOnlySpan<byte> bytes, int at)
    {
        bytes.CopyTo(_scratch.AsSpan(at));
        return bytes.Length;
    }
}
