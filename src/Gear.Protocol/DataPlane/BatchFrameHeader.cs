using System.Buffers.Binary;

namespace Gear.Protocol.DataPlane;

/// <summary>
/// The fixed header of a server-to-learner frame (<see cref="FrameKind.Batch"/> or <see cref="FrameKind.End"/>).
/// Little-endian layout, <see cref="SizeFor"/>(C) = 80 + 8·C bytes for C columns:
/// <code>
///  0 u32 magic "GDP1"        4 u16 version (1)       6 u16 kind
///  8 u32 header bytes       12 i32 column count C
/// 16 u64 session            24 u64 sequence
/// 32 i32 windows (B)        36 i32 window length (L)
/// 40 i64 item count         48 f64 selection mass
/// 56 i32 status (End: a gRPC status code; Batch: 0)
/// 60 u32 metadata bytes (Batch: B·36, End: the UTF-8 message)
/// 64 u64 × C column bytes   64+8C u64 mask bytes
/// 72+8C u32 CRC-32C of bytes [0, 72+8C)   76+8C u32 reserved (0)
/// </code>
/// The payload follows: metadata (keys u64[B], trajectory keys u64[B], start steps i32[B], probabilities
/// f64[B], importance weights f64[B]), then each column's bytes in spec order, then the mask.
/// </summary>
public sealed class BatchFrameHeader
{
    /// <summary>"GDP1" read as a little-endian u32.</summary>
    public const uint Magic = 0x31504447;

    /// <summary>The frame format version.</summary>
    public const ushort Version = 1;

    /// <summary>Bytes before the column counts; enough to learn the header's full size.</summary>
    public const int PrefixBytes = 16;

    /// <summary>Most columns a header may describe; a larger count is a bad frame, not an allocation.</summary>
    public const int MaxColumns = 4096;

    /// <summary>Metadata bytes per window: key, trajectory key, start step, probability, importance weight.</summary>
    public const int MetadataBytesPerWindow = 8 + 8 + 4 + 8 + 8;

    /// <summary>A header for <paramref name="columnCount"/> columns.</summary>
    public BatchFrameHeader(int columnCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(columnCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(columnCount, MaxColumns);
        ColumnBytes = new long[columnCount];
    }

    /// <summary>Batch or End.</summary>
    public FrameKind Kind { get; set; } = FrameKind.Batch;

    /// <summary>The session the frame belongs to (echoed from the handshake).</summary>
    public ulong Session { get; set; }

    /// <summary>0, 1, 2, ... per session.</summary>
    public ulong Sequence { get; set; }

    /// <summary>B: windows in the batch.</summary>
    public int Windows { get; set; }

    /// <summary>L: steps per window.</summary>
    public int WindowLength { get; set; }

    /// <summary>Items the table chose from.</summary>
    public long ItemCount { get; set; }

    /// <summary>The sampler's weight when the batch was selected.</summary>
    public double SelectionMass { get; set; }

    /// <summary>End frames: a gRPC status code (0: the stream is complete).</summary>
    public int Status { get; set; }

    /// <summary>Bytes of per-window metadata (Batch) or of the message (End).</summary>
    public int MetadataBytes { get; set; }

    /// <summary>Each column's payload bytes, in spec order.</summary>
    public long[] ColumnBytes { get; }

    /// <summary>The mask's payload bytes.</summary>
    public long MaskBytes { get; set; }

    /// <summary>Header bytes for <paramref name="columnCount"/> columns.</summary>
    public static int SizeFor(int columnCount) => 80 + 8 * columnCount;

    /// <summary>
    /// Bytes of a whole batch frame of <paramref name="windows"/> × <paramref name="windowLength"/> steps of
    /// <paramref name="stepBytes"/> (all columns together) over <paramref name="columns"/> columns: what an RDMA
    /// ring slot must hold.
    /// </summary>
    public static long FrameBytes(int columns, int windows, int windowLength, long stepBytes) =>
        SizeFor(columns) + (long)windows * MetadataBytesPerWindow + (long)windows * windowLength * (stepBytes + 1);

    /// <summary>This header's size.</summary>
    public int Size => SizeFor(ColumnBytes.Length);

    /// <summary>Bytes after the header: metadata, columns, mask.</summary>
    public long PayloadBytes
    {
        get
        {
            long total = MetadataBytes + MaskBytes;
            foreach (var bytes in ColumnBytes)
                total += bytes;
            return total;
        }
    }

    /// <summary>Writes the header (with its checksum) into <paramref name="destination"/>, which holds at least <see cref="Size"/> bytes.</summary>
    public void Write(Span<byte> destination)
    {
        var c = ColumnBytes.Length;
        var size = SizeFor(c);
        var h = destination[..size];
        BinaryPrimitives.WriteUInt32LittleEndian(h, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], (ushort)Kind);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], (uint)size);
        BinaryPrimitives.WriteInt32LittleEndian(h[12..], c);
        BinaryPrimitives.WriteUInt64LittleEndian(h[16..], Session);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], Sequence);
        BinaryPrimitives.WriteInt32LittleEndian(h[32..], Windows);
        BinaryPrimitives.WriteInt32LittleEndian(h[36..], WindowLength);
        BinaryPrimitives.WriteInt64LittleEndian(h[40..], ItemCount);
        BinaryPrimitives.WriteDoubleLittleEndian(h[48..], SelectionMass);
        BinaryPrimitives.WriteInt32LittleEndian(h[56..], Status);
        BinaryPrimitives.WriteUInt32LittleEndian(h[60..], (uint)MetadataBytes);
        for (var i = 0; i < c; i++)
            BinaryPrimitives.WriteInt64LittleEndian(h[(64 + 8 * i)..], ColumnBytes[i]);
        BinaryPrimitives.WriteInt64LittleEndian(h[(64 + 8 * c)..], MaskBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(h[(72 + 8 * c)..], FrameChecksum.Compute(h[..(72 + 8 * c)]));
        BinaryPrimitives.WriteUInt32LittleEndian(h[(76 + 8 * c)..], 0);
    }

    /// <summary>
    /// Checks the first <see cref="PrefixBytes"/> of a frame and returns the header's full size, which must be
    /// that of <paramref name="expectedColumns"/> columns (the learner knows the table's spec).
    /// </summary>
    /// <exception cref="DataPlaneFrameException">Wrong magic or version, an unknown kind, or an oversize header.</exception>
    public static int ReadSize(ReadOnlySpan<byte> prefix, int expectedColumns)
    {
        if (BinaryPrimitives.ReadUInt32LittleEndian(prefix) != Magic)
            throw new DataPlaneFrameException($"bad magic 0x{BinaryPrimitives.ReadUInt32LittleEndian(prefix):x8} (not a gear data-plane frame)");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(prefix[4..]);
        if (version != Version)
            throw new DataPlaneFrameException($"frame version {version}; this build speaks {Version}");
        var kind = (FrameKind)BinaryPrimitives.ReadUInt16LittleEndian(prefix[6..]);
        if (kind is not (FrameKind.Batch or FrameKind.End))
            throw new DataPlaneFrameException($"frame kind {(ushort)kind} where a batch or end frame was expected");
        var size = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
        var columns = BinaryPrimitives.ReadInt32LittleEndian(prefix[12..]);
        if (columns < 0 || columns > MaxColumns || size != SizeFor(columns))
            throw new DataPlaneFrameException($"header of {size} bytes for {columns} columns (at most {MaxColumns} columns, {SizeFor(MaxColumns)} bytes)");
        if (columns != expectedColumns)
            throw new DataPlaneFrameException($"header describes {columns} columns; the table has {expectedColumns}");
        return (int)size;
    }

    /// <summary>Reads a whole header (as sized by <see cref="ReadSize"/>) into this instance, checking its checksum.</summary>
    /// <exception cref="DataPlaneFrameException">The checksum does not match, or a count is out of range.</exception>
    public void Read(ReadOnlySpan<byte> header)
    {
        var c = ColumnBytes.Length;
        var size = SizeFor(c);
        if (header.Length < size)
            throw new DataPlaneFrameException($"header of {header.Length} bytes; {size} expected");
        var h = header[..size];
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(h[(72 + 8 * c)..]);
        if (stored != FrameChecksum.Compute(h[..(72 + 8 * c)]))
            throw new DataPlaneFrameException("header checksum does not match (corrupted frame)");
        ReadSize(h, c);
        Kind = (FrameKind)BinaryPrimitives.ReadUInt16LittleEndian(h[6..]);
        Session = BinaryPrimitives.ReadUInt64LittleEndian(h[16..]);
        Sequence = BinaryPrimitives.ReadUInt64LittleEndian(h[24..]);
        Windows = BinaryPrimitives.ReadInt32LittleEndian(h[32..]);
        WindowLength = BinaryPrimitives.ReadInt32LittleEndian(h[36..]);
        ItemCount = BinaryPrimitives.ReadInt64LittleEndian(h[40..]);
        SelectionMass = BinaryPrimitives.ReadDoubleLittleEndian(h[48..]);
        Status = BinaryPrimitives.ReadInt32LittleEndian(h[56..]);
        var metadata = BinaryPrimitives.ReadUInt32LittleEndian(h[60..]);
        if (metadata > int.MaxValue)
            throw new DataPlaneFrameException($"metadata of {metadata} bytes");
        MetadataBytes = (int)metadata;
        for (var i = 0; i < c; i++)
            ColumnBytes[i] = NonNegative(BinaryPrimitives.ReadInt64LittleEndian(h[(64 + 8 * i)..]), "column");
        MaskBytes = NonNegative(BinaryPrimitives.ReadInt64LittleEndian(h[(64 + 8 * c)..]), "mask");
        if (Windows < 0 || WindowLength < 0)
            throw new DataPlaneFrameException($"geometry {Windows} × {WindowLength}");
    }

    private static long NonNegative(long value, string what) =>
        value >= 0 ? value : throw new DataPlaneFrameException($"{what} of {value} bytes");
}
