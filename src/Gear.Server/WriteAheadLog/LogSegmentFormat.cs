using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Gear.Core.Schema;

namespace Gear.Server.WriteAheadLog;

/// <summary>
/// A log segment file (<c>seg-NNNNNNNN.wal</c>, little-endian): magic "GEARWAL1", version (int32), the table's spec
/// (<see cref="TableSpecCodec"/>), then records as <see cref="LogRecord"/> frames them. Record bodies:
/// <list type="bullet">
/// <item>commit: the trajectory's key when committed (uint64), step count (int32), priority count (int32), the
/// priorities (float64 each), then the steps, column after column;</item>
/// <item>delete: key count (int32), the keys (uint64 each);</item>
/// <item>reset: nothing.</item>
/// </list>
/// A segment is only ever appended to; a crash can leave its last record torn, which its length or checksum
/// shows, and reading stops there.
/// </summary>
public static class LogSegmentFormat
{
    /// <summary>The first eight bytes of every segment.</summary>
    public static ReadOnlySpan<byte> Magic => "GEARWAL1"u8;

    /// <summary>The format version written and read.</summary>
    public const int Version = 1;

    /// <summary>The file name of segment number <paramref name="number"/>; names sort in number order.</summary>
    public static string FileName(int number) => $"seg-{number:D8}.wal";

    /// <summary>The segment number in <paramref name="fileName"/>, or null when it is not a segment's name.</summary>
    public static int? NumberOf(string fileName) =>
        fileName.Length == 16 && fileName.StartsWith("seg-", StringComparison.Ordinal) && fileName.EndsWith(".wal", StringComparison.Ordinal)
        && int.TryParse(fileName.AsSpan(4, 8), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
            ? number
            : null;

    /// <summary>The header of a new segment of the table <paramref name="spec"/> describes.</summary>
    public static byte[] Header(TableSpec spec)
    {
        using var memory = new MemoryStream();
        using (var w = new BinaryWriter(memory, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            TableSpecCodec.Write(w, spec);
        }
        return memory.ToArray();
    }

    /// <summary>Reads a segment's header, leaving the stream at its first record.</summary>
    /// <exception cref="InvalidDataException">Not a segment, another version, or a truncated header.</exception>
    public static TableSpec ReadHeader(Stream stream)
    {
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            Span<byte> magic = stackalloc byte[8];
            stream.ReadExactly(magic);
            if (!magic.SequenceEqual(Magic))
                throw new InvalidDataException("not a log segment (bad magic)");
            var version = r.ReadInt32();
            if (version != Version)
                throw new InvalidDataException($"log format version {version} is not supported (this build reads {Version})");
            return TableSpecCodec.Read(r);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException)
        {
            throw new InvalidDataException($"the segment header is truncated or malformed: {e.Message}", e);
        }
    }

    /// <summary>The kind and sequence number of a record's payload.</summary>
    public static (LogRecordKind Kind, long Sequence) ReadPayloadHeader(ReadOnlySpan<byte> payload) =>
        ((LogRecordKind)payload[0], BinaryPrimitives.ReadInt64LittleEndian(payload[1..]));

    /// <summary>A commit payload's parts, checked against the table's step sizes.</summary>
    /// <exception cref="InvalidDataException">The counts do not fit the payload or the table.</exception>
    public static CommitBody ReadCommit(ReadOnlyMemory<byte> payload, TableSpec spec)
    {
        var span = payload.Span[LogRecord.PayloadHeaderBytes..];
        var key = BinaryPrimitives.ReadUInt64LittleEndian(span);
        var steps = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        var priorityCount = BinaryPrimitives.ReadInt32LittleEndian(span[12..]);
        var prioritiesAt = LogRecord.PayloadHeaderBytes + LogRecord.CommitFixedBytes;
        var stepsAt = prioritiesAt + (long)priorityCount * sizeof(double);
        if (steps < 1 || priorityCount < 1 || stepsAt + spec.StepBytes * steps != payload.Length)
            throw new InvalidDataException($"a commit record of {payload.Length} bytes cannot hold {steps} steps and {priorityCount} priorities of table '{spec.Name}'");
        var priorities = MemoryMarshal.Cast<byte, double>(payload.Span.Slice(prioritiesAt, priorityCount * sizeof(double))).ToArray();
        var columns = new ReadOnlyMemory<byte>[spec.Columns.Count];
        var at = (int)stepsAt;
        for (var c = 0; c < columns.Length; c++)
        {
            var bytes = spec.Columns[c].StepBytes * steps;
            columns[c] = payload.Slice(at, bytes);
            at += bytes;
        }
        return new CommitBody(key, steps, priorities, columns);
    }

    /// <summary>A delete payload's keys.</summary>
    /// <exception cref="InvalidDataException">The count does not fit the payload.</exception>
    public static ulong[] ReadDelete(ReadOnlySpan<byte> payload)
    {
        var count = BinaryPrimitives.ReadInt32LittleEndian(payload[LogRecord.PayloadHeaderBytes..]);
        var at = LogRecord.PayloadHeaderBytes + 4;
        if (count < 0 || at + (long)count * sizeof(ulong) != payload.Length)
            throw new InvalidDataException($"a delete record of {payload.Length} bytes cannot hold {count} keys");
        return MemoryMarshal.Cast<byte, ulong>(payload[at..]).ToArray();
    }
}

/// <summary>A logged commit.</summary>
/// <param name="Key">The trajectory's key when it was committed (clients may hold it).</param>
/// <param name="StepCount">Steps.</param>
/// <param name="Priorities">One priority, or one per step.</param>
/// <param name="Columns">Each column's steps.</param>
public sealed record CommitBody(ulong Key, int StepCount, double[] Priorities, ReadOnlyMemory<byte>[] Columns);
