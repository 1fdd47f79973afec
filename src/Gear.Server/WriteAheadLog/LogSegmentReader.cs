using System.Buffers.Binary;
using Gear.Core.Schema;
using Gear.Protocol.DataPlane;

namespace Gear.Server.WriteAheadLog;

/// <summary>
/// Reads one log segment's records in order, checking each one's length and checksum. Reading stops at the
/// file's end or at the first record that is short or fails its checksum (a write torn by a crash), and
/// <see cref="StopReason"/> then says where and why: nothing after a torn record is ever read.
/// </summary>
public sealed class LogSegmentReader : IDisposable
{
    private readonly FileStream _file;
    private byte[] _buffer = new byte[1 << 16];

    private LogSegmentReader(string path, FileStream file, TableSpec spec)
    {
        Path = path;
        _file = file;
        Spec = spec;
    }

    /// <summary>The segment's path.</summary>
    public string Path { get; }

    /// <summary>The spec in the segment's header.</summary>
    public TableSpec Spec { get; }

    /// <summary>Why reading stopped before the end of the file (a torn or corrupt record), or null.</summary>
    public string? StopReason { get; private set; }

    /// <summary>Opens a segment and reads its header.</summary>
    /// <exception cref="InvalidDataException">The header is not a segment header (names the file).</exception>
    public static LogSegmentReader Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        try
        {
            return new LogSegmentReader(path, file, LogSegmentFormat.ReadHeader(file));
        }
        catch (InvalidDataException e)
        {
            file.Dispose();
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether the segment at <paramref name="path"/> ends inside its header: a crash while the segment was being
    /// created. Records go into a segment only after its header is written and synced, so such a file holds none.
    /// A header that is whole but wrong is not torn (it is corruption, and <see cref="Open"/> refuses it).
    /// </summary>
    public static bool EndsInsideHeader(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        try
        {
            LogSegmentFormat.ReadHeader(file);
            return false;
        }
        catch (InvalidDataException e) when (e.InnerException is EndOfStreamException)
        {
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads the next record. Its payload (kind, sequence, body) stays valid until the next call. False at the
    /// end of the file or at a torn record.
    /// </summary>
    public bool TryReadNext(out long offset, out ReadOnlyMemory<byte> payload)
    {
        offset = _file.Position;
        payload = default;
        if (StopReason is not null)
            return false;
        var left = _file.Length - offset;
        if (left == 0)
            return false;
        Span<byte> frame = stackalloc byte[LogRecord.FrameBytes];
        if (left < frame.Length)
            return Stop(offset, $"{left} bytes left, less than a record frame");
        _file.ReadExactly(frame);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(frame);
        var checksum = BinaryPrimitives.ReadUInt32LittleEndian(frame[4..]);
        if (length < LogRecord.PayloadHeaderBytes || length > left - frame.Length)
            return Stop(offset, $"a record of {length} bytes does not fit the {left - frame.Length} bytes left");
        if (_buffer.Length < length)
            _buffer = new byte[Math.Max(length, Math.Min(Array.MaxLength, _buffer.Length * 2L))];
        var bytes = _buffer.AsSpan(0, (int)length);
        _file.ReadExactly(bytes);
        if (FrameChecksum.Compute(bytes) != checksum)
            return Stop(offset, "checksum mismatch");
        payload = _buffer.AsMemory(0, (int)length);
        return true;
    }

    private bool Stop(long offset, string why)
    {
        StopReason = $"{Path}: reading stopped at byte {offset}: {why} (a write torn by a crash, or corruption)";
        return false;
    }

    /// <summary>Reads the record at <paramref name="offset"/> again (it was read before, so it is whole).</summary>
    /// <exception cref="InvalidDataException">It no longer verifies.</exception>
    public ReadOnlyMemory<byte> ReadAt(long offset)
    {
        _file.Position = offset;
        StopReason = null;
        if (!TryReadNext(out _, out var payload))
            throw new InvalidDataException(StopReason ?? $"{Path}: no record at byte {offset}");
        return payload;
    }

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();
}
