using System.Buffers;
using Gear.Protocol.Grpc;
using Google.Protobuf;
using Wire = Gear.Protocol.V1;

namespace Gear.Server.Service;

/// <summary>
/// Encodes the SampleResponse of one gathered batch straight into the response pipe: the column and mask
/// bytes are copied from the gather buffer in large runs, where the protobuf writer would copy them in the
/// pipe's 4 KiB blocks through a reply object built per batch. The bytes are the ones protobuf writes for
/// the same reply (fields in number order): the small fields before the columns (1, 2) and after the mask
/// (5 to 12) are serialized by protobuf from two reused messages that hold only those fields, the columns (3)
/// and the mask (4) are framed here. One encoder serves one stream, one batch at a time.
/// </summary>
internal sealed class SampleReplyEncoder : IEncodedMessage
{
    /// <summary>Bytes asked of the pipe per copy: large enough that a 16 MB column costs a few dozen buffer calls.</summary>
    private const int CopyRunBytes = 1024 * 1024;

    private const byte ColumnTag = (3 << 3) | 2; // field 3, length-delimited
    private const byte MaskTag = (4 << 3) | 2;   // field 4, length-delimited

    private readonly Wire.SampleResponse _head = new();
    private readonly Wire.SampleResponse _tail = new();
    private GatherBuffer? _buffer;

    /// <summary>The reply's size, for the batch of the last <see cref="Reset"/>.</summary>
    public int Size { get; private set; }

    /// <summary>Sets the reply to the windows of <paramref name="buffer"/>, which must stay unchanged until written.</summary>
    public void Reset(GatherBuffer buffer, ulong sequence)
    {
        var batch = buffer.Batch;
        _buffer = buffer;
        _head.BatchSize = batch.Count;
        _head.WindowLength = batch.WindowLength;
        _tail.Sequence = sequence;
        _tail.ItemCount = batch.ItemCount;
        _tail.SelectionMass = batch.SelectionMass;
        SampleMapping.SetWindowMetadata(_tail, batch);
        long size = _head.CalculateSize() + _tail.CalculateSize();
        for (var c = 0; c < batch.Columns.Count; c++)
            size += FieldSize(buffer.Column(c).Length);
        var mask = buffer.Mask.Length;
        if (mask > 0) // proto3 leaves an empty bytes field out
            size += FieldSize(mask);
        // Larger than any message allowed (CheckReplySize refused such requests): fail here rather than wrap.
        Size = checked((int)size);
    }

    /// <inheritdoc/>
    public void WriteTo(IBufferWriter<byte> output)
    {
        var buffer = _buffer ?? throw new InvalidOperationException("Reset the encoder with a batch before writing it.");
        _head.WriteTo(output);
        for (var c = 0; c < buffer.Batch.Columns.Count; c++)
            WriteField(output, ColumnTag, buffer.Column(c).Span);
        if (!buffer.Mask.IsEmpty)
            WriteField(output, MaskTag, buffer.Mask.Span);
        _tail.WriteTo(output);
    }

    private static long FieldSize(int length) => 1 + CodedOutputStream.ComputeLengthSize(length) + (long)length;

    private static void WriteField(IBufferWriter<byte> output, byte tag, ReadOnlySpan<byte> bytes)
    {
        var prefix = output.GetSpan(1 + 5); // tag and a varint length of at most 5 bytes
        prefix[0] = tag;
        var written = 1;
        for (var length = (uint)bytes.Length; ; length >>= 7)
        {
            if (length < 0x80)
            {
                prefix[written++] = (byte)length;
                break;
            }
            prefix[written++] = (byte)(length | 0x80);
        }
        output.Advance(written);
        while (!bytes.IsEmpty)
        {
            var run = output.GetSpan(Math.Min(bytes.Length, CopyRunBytes));
            var copied = Math.Min(run.Length, bytes.Length);
            bytes[..copied].CopyTo(run);
            output.Advance(copied);
            bytes = bytes[copied..];
        }
    }
}
