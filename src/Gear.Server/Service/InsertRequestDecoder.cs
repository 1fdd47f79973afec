using System.Buffers;
using System.Text;
using Gear.Protocol;
using Gear.Protocol.V1;

namespace Gear.Server.Service;

/// <summary>
/// Decodes InsertStream requests. An append (the bulk of a stream's bytes) is read straight from the request
/// pipe: its columns stay there, as slices of the pipe's segments, and are copied once, by the table into its
/// pages, where the protobuf parser would copy them into a new, zeroed (large-object) array per column per
/// message and leave the rest to the garbage collector.
/// Everything else (end, abandon, a request with other or unknown top-level fields) goes through the protobuf
/// parser, as does nothing an append holds: the AppendSteps fields are read as protobuf reads them (the last
/// value of a scalar wins, repeated appends merge, unknown fields are skipped), and malformed bytes fail the
/// call with INTERNAL as a parse failure does.
/// </summary>
internal static class InsertRequestDecoder
{
    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireLength = 2;
    private const int WireFixed32 = 5;
    private const uint AppendTag = (1 << 3) | WireLength; // InsertRequest.append

    // Invalid UTF-8 in a string is a malformed message, as for the protobuf parser.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes one request message.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed InsertRequest.</exception>
    public static InsertCommand Decode(in ReadOnlySequence<byte> payload)
    {
        if (!IsAppend(payload))
            return FromMessage(ReplayMethods.InsertStream.RequestDecoder(payload));
        var command = InsertCommand.Append();
        var request = new SequenceReader<byte>(payload);
        while (!request.End)
        {
            ReadTag(ref request);
            var append = new SequenceReader<byte>(ReadLengthDelimited(ref request));
            ReadAppendSteps(ref append, command);
        }
        return command;
    }

    /// <summary>
    /// A request the protobuf parser read: an append among other top-level fields (unknown ones, say) still
    /// becomes an append command, its columns the parsed message's fields.
    /// </summary>
    private static InsertCommand FromMessage(InsertRequest request)
    {
        if (request.CommandCase != InsertRequest.CommandOneofCase.Append)
            return InsertCommand.For(request);
        var append = request.Append;
        var command = InsertCommand.Append();
        command.Trajectory = append.Trajectory;
        command.Table = append.Table;
        command.StepCount = append.StepCount;
        foreach (var column in append.Columns)
            command.AddColumn(new ReadOnlySequence<byte>(column.Memory));
        return command;
    }

    /// <summary>True when every top-level field is <c>append</c> (and there is at least one).</summary>
    private static bool IsAppend(in ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        if (reader.End)
            return false;
        while (!reader.End)
        {
            if (!TryReadVarint(ref reader, out var tag) || tag != AppendTag
                || !TryReadVarint(ref reader, out var length) || length > (ulong)reader.Remaining)
                return false; // not an append, or malformed: the protobuf parser says which
            reader.Advance((long)length);
        }
        return true;
    }

    private static void ReadAppendSteps(ref SequenceReader<byte> reader, InsertCommand command)
    {
        while (!reader.End)
        {
            var tag = ReadTag(ref reader);
            switch (tag)
            {
                case (1 << 3) | WireVarint:
                    command.Trajectory = ReadVarint(ref reader);
                    break;
                case (2 << 3) | WireLength:
                    command.Table = ReadString(ref reader);
                    break;
                case (3 << 3) | WireVarint:
                    command.StepCount = (uint)ReadVarint(ref reader); // uint32: protobuf keeps the low 32 bits
                    break;
                case (4 << 3) | WireLength:
                    command.AddColumn(ReadLengthDelimited(ref reader));
                    break;
                default:
                    Skip(ref reader, (int)(tag & 7));
                    break;
            }
        }
    }

    private static uint ReadTag(ref SequenceReader<byte> reader)
    {
        var tag = ReadVarint(ref reader);
        if (tag >> 3 == 0 || tag > uint.MaxValue)
            throw Bad($"invalid tag {tag}");
        return (uint)tag;
    }

    private static ReadOnlySequence<byte> ReadLengthDelimited(ref SequenceReader<byte> reader)
    {
        var length = ReadVarint(ref reader);
        if (length > (ulong)reader.Remaining)
            throw Bad($"a field of {length} bytes runs past the end of the message");
        var bytes = reader.UnreadSequence.Slice(0, (long)length);
        reader.Advance((long)length);
        return bytes;
    }

    private static string ReadString(ref SequenceReader<byte> reader)
    {
        var bytes = ReadLengthDelimited(ref reader);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw Bad($"append.table is not valid UTF-8 ({e.Message})");
        }
    }

    private static void Skip(ref SequenceReader<byte> reader, int wire)
    {
        var bytes = wire switch
        {
            WireVarint => 0,
            WireFixed64 => 8,
            WireFixed32 => 4,
            WireLength => -1,
            _ => throw Bad($"unsupported wire type {wire}"),
        };
        if (bytes < 0)
            ReadLengthDelimited(ref reader);
        else if (bytes == 0)
            ReadVarint(ref reader);
        else if (reader.Remaining < bytes)
            throw Bad("a fixed-size field runs past the end of the message");
        else
            reader.Advance(bytes);
    }

    private static ulong ReadVarint(ref SequenceReader<byte> reader) =>
        TryReadVarint(ref reader, out var value) ? value : throw Bad("a varint is malformed or runs past the end of the message");

    private static bool TryReadVarint(ref SequenceReader<byte> reader, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (!reader.TryRead(out var b))
                return false;
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return true;
        }
        return false; // longer than 10 bytes
    }

    private static InvalidDataException Bad(string problem) => new($"malformed InsertRequest: {problem}");
}
