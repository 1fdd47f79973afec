using System.Runtime.InteropServices;
using Gear.Protocol.DataPlane;
using Gear.Server.Service;

namespace Gear.Server.DataPlane;

/// <summary>
/// Composes the fixed part of data-plane frames (header and per-window metadata, or an end frame) for one
/// session; the TCP writer sends the column payloads after it straight from the gather buffer, the RDMA
/// session copies them behind it in a staging slot. One header instance per session: no allocation per batch.
/// </summary>
internal sealed class BatchFrameEncoder(ulong session, int columnCount)
{
    private readonly BatchFrameHeader _header = new(columnCount) { Session = session };

    /// <summary>Bytes of the header and metadata of a batch of up to <paramref name="windows"/> windows.</summary>
    public int FixedBytes(int windows) => _header.Size + windows * BatchFrameHeader.MetadataBytesPerWindow;

    /// <summary>Writes the header and metadata of <paramref name="buffer"/>'s batch as frame <paramref name="sequence"/>; returns the bytes written.</summary>
    public int WriteBatchPrefix(GatherBuffer buffer, ulong sequence, Span<byte> destination)
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
        _header.Write(destination);
        // Metadata as raw little-endian arrays (every platform .NET runs this server on is little-endian).
        var at = _header.Size;
        at += Put(MemoryMarshal.AsBytes(batch.Keys), destination, at);
        at += Put(MemoryMarshal.AsBytes(batch.TrajectoryKeys), destination, at);
        at += Put(MemoryMarshal.AsBytes(batch.StartSteps), destination, at);
        at += Put(MemoryMarshal.AsBytes(batch.Probabilities), destination, at);
        at += Put(MemoryMarshal.AsBytes(batch.ImportanceWeights), destination, at);
        return at;
    }

    /// <summary>Writes a whole batch frame (prefix, columns, mask) into <paramref name="destination"/>; returns its length.</summary>
    public int WriteBatch(GatherBuffer buffer, ulong sequence, Span<byte> destination)
    {
        var at = WriteBatchPrefix(buffer, sequence, destination);
        for (var c = 0; c < _header.ColumnBytes.Length; c++)
            at += Put(buffer.Column(c).Span, destination, at);
        return at + Put(buffer.Mask.Span, destination, at);
    }

    /// <summary>
    /// Writes an end frame (status 0 after the last batch, or a gRPC status code and message, cut to fit
    /// <paramref name="destination"/>); returns its length.
    /// </summary>
    public int WriteEnd(ulong sequence, int status, string message, Span<byte> destination)
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
        var text = System.Text.Encoding.UTF8.GetBytes(message);
        _header.MetadataBytes = Math.Min(text.Length, destination.Length - _header.Size);
        _header.Write(destination);
        text.AsSpan(0, _header.MetadataBytes).CopyTo(destination[_header.Size..]);
        return _header.Size + _header.MetadataBytes;
    }

    private static int Put(ReadOnlySpan<byte> bytes, Span<byte> destination, int at)
    {
        bytes.CopyTo(destination[at..]);
        return bytes.Length;
    }
}
