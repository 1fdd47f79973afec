using System.Buffers;
using System.Buffers.Binary;

namespace Gear.Client;

/// <summary>
/// Decodes a gear.v1.SampleResponse where it was received, in the one pooled buffer the transport read it into,
/// instead of the protobuf parser's new (zeroed, large-object) array per column per batch: the learner's hot path
/// then allocates nothing per batch but small bookkeeping, and the buffer goes back to the pool when the batch is
/// disposed. Follows the protobuf wire format (replay.proto's field numbers; packed or unpacked repeated
/// scalars; unknown fields skipped).
/// </summary>
internal static class SampleReplyDecoder
{
    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireLength = 2;
    private const int WireFixed32 = 5;

    /// <summary>
    /// Finds the fields of the reply read into <paramref name="buffer"/> (rented from the shared pool), which
    /// the reply takes over: the columns stay where the transport read them.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed SampleResponse (the buffer stays the caller's).</exception>
    public static PooledSampleReply Decode(byte[] buffer, int length)
    {
        var reply = new PooledSampleReply(buffer);
        Parse(buffer.AsSpan(0, length), reply);
        return reply;
    }

    private static void Parse(ReadOnlySpan<byte> bytes, PooledSampleReply reply)
    {
        var at = 0;
        while (at < bytes.Length)
        {
            var tag = ReadVarint(bytes, ref at);
            var field = (int)(tag >> 3);
            var wire = (int)(tag & 7);
            switch (field, wire)
            {
                case (1, WireVarint): reply.BatchSize = (int)ReadVarint(bytes, ref at); break;
                case (2, WireVarint): reply.WindowLength = (int)ReadVarint(bytes, ref at); break;
                case (3, WireLength): reply.Columns.Add(ReadRange(bytes, ref at)); break;
                case (4, WireLength): reply.Mask = ReadRange(bytes, ref at); break;
                case (5, _): reply.Keys.Add(Repeated(bytes, ref at, wire, WireVarint)); break;
                case (6, _): reply.TrajectoryKeys.Add(Repeated(bytes, ref at, wire, WireVarint)); break;
                case (7, _): reply.StartSteps.Add(Repeated(bytes, ref at, wire, WireVarint)); break;
                case (8, _): reply.Probabilities.Add(Repeated(bytes, ref at, wire, WireFixed64)); break;
                case (9, _): reply.ImportanceWeights.Add(Repeated(bytes, ref at, wire, WireFixed64)); break;
                case (10, WireVarint): reply.Sequence = ReadVarint(bytes, ref at); break;
                case (11, WireVarint): reply.ItemCount = (long)ReadVarint(bytes, ref at); break;
                case (12, WireFixed64): reply.SelectionMass = BitConverter.Int64BitsToDouble((long)ReadFixed64(bytes, ref at)); break;
                default: Skip(bytes, ref at, wire, field); break;
            }
        }
    }

    /// <summary>
    /// A repeated scalar's bytes: a packed run (length-delimited) or one unpacked element. Elements are decoded
    /// later, straight into the batch's pooled per-window arrays.
    /// </summary>
    private static PooledSampleReply.Run Repeated(ReadOnlySpan<byte> bytes, ref int at, int wire, int elementWire)
    {
        if (wire == WireLength)
            return new PooledSampleReply.Run(ReadRange(bytes, ref at), elementWire);
        if (wire != elementWire)
            throw Bad($"wire type {wire} for a repeated field of wire type {elementWire}");
        var start = at;
        Skip(bytes, ref at, wire, 0);
        return new PooledSampleReply.Run(new PooledSampleReply.Range(start, at - start), elementWire);
    }

    /// <summary>
    /// Decodes the elements of <paramref name="runs"/> as varints into <paramref name="destination"/>, each
    /// through <paramref name="convert"/> (uint64 keys as they are; int32 start steps from their two's complement).
    /// </summary>
    public static void DecodeVarints<T>(ReadOnlySpan<byte> buffer, List<PooledSampleReply.Run> runs, Span<T> destination, Func<ulong, T> convert, string field)
    {
        var filled = 0;
        foreach (var run in runs)
        {
            if (run.ElementWire != WireVarint)
                throw Bad($"{field} is not a varint field");
            var bytes = buffer.Slice(run.Bytes.Offset, run.Bytes.Length);
            var at = 0;
            while (at < bytes.Length)
            {
                if (filled == destination.Length)
                    throw Bad($"{field} has more than {destination.Length} values");
                destination[filled++] = convert(ReadVarint(bytes, ref at));
            }
        }
        if (filled != destination.Length)
            throw Bad($"{field} has {filled} values for {destination.Length} windows");
    }

    /// <summary>Decodes the elements of <paramref name="runs"/> as little-endian doubles into <paramref name="destination"/>.</summary>
    public static void DecodeDoubles(ReadOnlySpan<byte> buffer, List<PooledSampleReply.Run> runs, Span<double> destination, string field)
    {
        var filled = 0;
        foreach (var run in runs)
        {
            if (run.Bytes.Length % 8 != 0)
                throw Bad($"{field} has a packed run of {run.Bytes.Length} bytes, not whole doubles");
            var bytes = buffer.Slice(run.Bytes.Offset, run.Bytes.Length);
            for (var at = 0; at < bytes.Length; at += 8)
            {
                if (filled == destination.Length)
                    throw Bad($"{field} has more than {destination.Length} values");
                destination[filled++] = BinaryPrimitives.ReadDoubleLittleEndian(bytes[at..]);
            }
        }
        if (filled != destination.Length)
            throw Bad($"{field} has {filled} values for {destination.Length} windows");
    }

    private static PooledSampleReply.Range ReadRange(ReadOnlySpan<byte> bytes, ref int at)
    {
        var length = ReadVarint(bytes, ref at);
        if (length > (ulong)(bytes.Length - at))
            throw Bad($"a field of {length} bytes runs past the end of the message");
        var range = new PooledSampleReply.Range(at, (int)length);
        at += (int)length;
        return range;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> bytes, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= bytes.Length)
                throw Bad("a varint runs past the end of the message");
            var b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
        throw Bad("a varint is longer than 10 bytes");
    }

    private static ulong ReadFixed64(ReadOnlySpan<byte> bytes, ref int at)
    {
        if (bytes.Length - at < 8)
            throw Bad("a fixed64 runs past the end of the message");
        var value = BinaryPrimitives.ReadUInt64LittleEndian(bytes[at..]);
        at += 8;
        return value;
    }

    private static void Skip(ReadOnlySpan<byte> bytes, ref int at, int wire, int field)
    {
        switch (wire)
        {
            case WireVarint: ReadVarint(bytes, ref at); break;
            case WireFixed64: ReadFixed64(bytes, ref at); break;
            case WireLength: ReadRange(bytes, ref at); break;
            case WireFixed32:
                if (bytes.Length - at < 4)
                    throw Bad("a fixed32 runs past the end of the message");
                at += 4;
                break;
            default: throw Bad($"field {field} has wire type {wire}, which a SampleResponse never uses");
        }
    }

    private static InvalidDataException Bad(string message) => new($"malformed SampleResponse: {message}");
}
