using System.Buffers;
using Gear.Core.Tables;
using Gear.Protocol;
using Gear.Protocol.Grpc;
using Google.Protobuf;
using Wire = Gear.Protocol.V1;

namespace Gear.Server.Service;

/// <summary>
/// Encodes the SampleResponse of one held batch straight into the response pipe: the column bytes are copied
/// from the table's pages (<see cref="HeldColumnWalk"/>) into the pipe's memory in large runs, which is the
/// only copy the server makes of them; there is no gather buffer in between, and no reply object per batch.
/// The bytes are the ones protobuf writes for the same reply (fields in number order): the small fields before
/// the columns (1, 2) and after the mask (5 to 12) are serialized by protobuf from two reused messages that
/// hold only those fields, the columns (3) and the mask (4) are framed here. One encoder serves one stream, one
/// batch at a time.
/// </summary>
internal sealed unsafe class SampleReplyEncoder : IEncodedMessage
{
    /// <summary>Bytes asked of the pipe per copy: large enough that a 16 MB column costs a few dozen buffer calls.</summary>
    private const int CopyRunBytes = 1024 * 1024;

    private const byte ColumnTag = (3 << 3) | 2; // field 3, length-delimited
    private const byte MaskTag = (4 << 3) | 2;   // field 4, length-delimited

    private readonly Wire.SampleResponse _head = new();
    private readonly Wire.SampleResponse _tail = new();
    private Table? _table;
    private GatherBuffer? _held;

    /// <summary>The reply's size, for the batch of the last <see cref="Reset"/>.</summary>
    public int Size { get; private set; }

    /// <summary>
    /// Sets the reply to the windows of <paramref name="held"/>, sampled held from <paramref name="table"/>
    /// (<see cref="Table.SampleHeldAsync"/>); the hold must last until the reply is written.
    /// </summary>
    public void Reset(Table table, GatherBuffer held, ulong sequence)
    {
        var batch = held.Batch;
        _table = table;
        _held = held;
        _head.BatchSize = batch.Count;
        _head.WindowLength = batch.WindowLength;
        _tail.Sequence = sequence;
        _tail.ItemCount = batch.ItemCount;
        _tail.SelectionMass = batch.SelectionMass;
        SampleMapping.SetWindowMetadata(_tail, batch);
        long size = _head.CalculateSize() + _tail.CalculateSize();
        for (var c = 0; c < batch.Columns.Count; c++)
            size += FieldSize((long)batch.Count * batch.WindowBytes(c));
        var mask = held.Mask.Length;
        if (mask > 0) // proto3 leaves an empty bytes field out
            size += FieldSize(mask);
        // Larger than any message allowed (CheckReplySize refused such requests): fail here rather than wrap.
        Size = checked((int)size);
    }

    /// <inheritdoc/>
    public void WriteTo(IBufferWriter<byte> output)
    {
        var (table, held) = (_table, _held);
        if (table is null || held is null)
            throw new InvalidOperationException("Reset the encoder with a batch before writing it.");
        var batch = held.Batch;
        _head.WriteTo(output);
        for (var c = 0; c < batch.Columns.Count; c++)
        {
            var stepBytes = batch.Columns[c].StepBytes;
            WritePrefix(output, ColumnTag, (long)batch.Count * batch.WindowBytes(c));
            var walk = new HeldColumnWalk(table, batch, c, stepBytes);
            while (walk.Next(out var address, out var bytes))
            {
                if (address == 0)
                    WriteZeros(output, bytes);
                else
                    Copy(output, new ReadOnlySpan<byte>((void*)address, checked((int)bytes)));
            }
        }
        if (!held.Mask.IsEmpty)
        {
            WritePrefix(output, MaskTag, held.Mask.Length);
            Copy(output, held.Mask.Span);
        }
        _tail.WriteTo(output);
    }

    private static long FieldSize(long length) => 1 + CodedOutputStream.ComputeLengthSize(checked((int)length)) + length;

    /// <summary>A length-delimited field's tag and varint length.</summary>
    private static void WritePrefix(IBufferWriter<byte> output, byte tag, long length)
    {
        var prefix = output.GetSpan(1 + 5); // tag and a varint length of at most 5 bytes
        prefix[0] = tag;
        output.Advance(1 + ProtobufVarint.Write(prefix[1..], checked((uint)length)));
    }

    private static void Copy(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var run = output.GetSpan(Math.Min(bytes.Length, CopyRunBytes));
            var copied = Math.Min(run.Length, bytes.Length);
            bytes[..copied].CopyTo(run);
            output.Advance(copied);
            bytes = bytes[copied..];
        }
    }

    private static void WriteZeros(IBufferWriter<byte> output, long bytes)
    {
        while (bytes > 0)
        {
            var run = output.GetSpan((int)Math.Min(bytes, CopyRunBytes));
            var cleared = (int)Math.Min(run.Length, bytes);
            run[..cleared].Clear();
            output.Advance(cleared);
            bytes -= cleared;
        }
    }
}
