using System.Text;
using Gear.Protocol.Grpc;
using Google.Protobuf;

namespace Gear.Protocol.V1;

/// <summary>
/// An append is an actor's bulk: its columns go out as the buffers the actor filled (see
/// <see cref="IGatheredMessage"/>), wrapped by the few bytes of tags and lengths protobuf puts around them.
/// Columns under <see cref="SmallColumnBytes"/> are copied into the encoded runs instead: a copy that small
/// costs less than the transport's handling of one more write.
/// </summary>
public sealed partial class InsertRequest : IGatheredMessage
{
    /// <summary>Columns shorter than this are copied into the encoded runs rather than given as pieces of their own.</summary>
    public const int SmallColumnBytes = 16 * 1024;

    private const byte AppendTag = (1 << 3) | 2;      // InsertRequest.append, length-delimited
    private const byte TrajectoryTag = 1 << 3;        // AppendSteps.trajectory, varint
    private const byte TableTag = (2 << 3) | 2;       // AppendSteps.table, length-delimited
    private const byte StepCountTag = 3 << 3;         // AppendSteps.step_count, varint
    private const byte ColumnTag = (4 << 3) | 2;      // AppendSteps.columns, length-delimited

    /// <inheritdoc/>
    public int MaxEncodedBytes
    {
        get
        {
            if (CommandCase != CommandOneofCase.Append)
                return 0;
            // append's tag and length; trajectory, table and step count with their tags; a tag and a length per
            // column, and the small columns themselves.
            var bytes = 1 + ProtobufVarint.MaxBytes + 3 * (1 + ProtobufVarint.MaxBytes) + Encoding.UTF8.GetMaxByteCount(Append.Table.Length);
            foreach (var column in Append.Columns)
                bytes += 1 + ProtobufVarint.MaxBytes + (column.Length < SmallColumnBytes ? column.Length : 0);
            return bytes;
        }
    }

    /// <inheritdoc/>
    public int MaxPieces => CommandCase == CommandOneofCase.Append ? 2 * Append.Columns.Count + 1 : 0;

    /// <inheritdoc/>
    public bool TryGather(Memory<byte> encoded, Span<ReadOnlyMemory<byte>> pieces, out int count)
    {
        count = 0;
        if (CommandCase != CommandOneofCase.Append)
            return false;
        var append = Append;
        var appendSize = append.CalculateSize();
        // Unknown fields, here or in the append, are in the protobuf sizes and not in the pieces: serialize whole.
        if (appendSize != GatheredSize(append) || CalculateSize() != 1 + CodedOutputStream.ComputeLengthSize(appendSize) + appendSize)
            return false;

        var span = encoded.Span;
        var run = 0;   // start of the encoded run not yet added
        var at = 0;
        span[at++] = AppendTag;
        at += ProtobufVarint.Write(span[at..], (ulong)appendSize);
        // Fields in field-number order, defaults left out, as protobuf writes them.
        if (append.Trajectory != 0)
        {
            span[at++] = TrajectoryTag;
            at += ProtobufVarint.Write(span[at..], append.Trajectory);
        }
        if (append.Table.Length != 0)
        {
            span[at++] = TableTag;
            var tableBytes = Encoding.UTF8.GetByteCount(append.Table);
            at += ProtobufVarint.Write(span[at..], (ulong)tableBytes);
            at += Encoding.UTF8.GetBytes(append.Table, span[at..]);
        }
        if (append.StepCount != 0)
        {
            span[at++] = StepCountTag;
            at += ProtobufVarint.Write(span[at..], append.StepCount);
        }
        foreach (var column in append.Columns)
        {
            span[at++] = ColumnTag;
            at += ProtobufVarint.Write(span[at..], (ulong)column.Length);
            if (column.Length < SmallColumnBytes)
            {
                column.Span.CopyTo(span[at..]);
                at += column.Length;
                continue;
            }
            pieces[count++] = encoded[run..at];
            pieces[count++] = column.Memory;
            run = at;
        }
        if (at > run)
            pieces[count++] = encoded[run..at];
        return true;
    }

    /// <summary>The append's size from the fields the pieces cover.</summary>
    private static int GatheredSize(AppendSteps append)
    {
        var size = 0;
        if (append.Trajectory != 0)
            size += 1 + CodedOutputStream.ComputeUInt64Size(append.Trajectory);
        if (append.Table.Length != 0)
            size += 1 + CodedOutputStream.ComputeStringSize(append.Table);
        if (append.StepCount != 0)
            size += 1 + CodedOutputStream.ComputeUInt32Size(append.StepCount);
        foreach (var column in append.Columns)
            size += 1 + CodedOutputStream.ComputeBytesSize(column);
        return size;
    }
}
