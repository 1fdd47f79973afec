using System.Buffers.Binary;

namespace Gear.Protocol.Grpc.Http2;

/// <summary>HTTP/2 frame types (RFC 9113 section 6) that the client reads or writes.</summary>
internal enum Http2FrameType : byte
{
    Data = 0x0,
    Headers = 0x1,
    Priority = 0x2,
    RstStream = 0x3,
    Settings = 0x4,
    PushPromise = 0x5,
    Ping = 0x6,
    GoAway = 0x7,
    WindowUpdate = 0x8,
    Continuation = 0x9,
}

/// <summary>Frame flags; which apply depends on the frame type.</summary>
[Flags]
internal enum Http2FrameFlags : byte
{
    None = 0,
    EndStream = 0x1,
    Ack = 0x1,
    EndHeaders = 0x4,
    Padded = 0x8,
    Priority = 0x20,
}

/// <summary>SETTINGS parameters (RFC 9113 section 6.5.2).</summary>
internal enum Http2Setting : ushort
{
    HeaderTableSize = 0x1,
    EnablePush = 0x2,
    MaxConcurrentStreams = 0x3,
    InitialWindowSize = 0x4,
    MaxFrameSize = 0x5,
    MaxHeaderListSize = 0x6,
}

/// <summary>Error codes of RST_STREAM and GOAWAY (RFC 9113 section 7).</summary>
internal enum Http2ErrorCode : uint
{
    NoError = 0x0,
    ProtocolError = 0x1,
    FlowControlError = 0x3,
    StreamClosed = 0x5,
    FrameSizeError = 0x6,
    Cancel = 0x8,
    CompressionError = 0x9,
}

/// <summary>The 9-byte header in front of every HTTP/2 frame.</summary>
internal readonly record struct Http2FrameHeader(int Length, Http2FrameType Type, Http2FrameFlags Flags, int StreamId)
{
    public const int Size = 9;

    /// <summary>The largest frame payload HTTP/2 allows (2^24 - 1), and the least every peer accepts (2^14).</summary>
    public const int MaxAllowedFrameSize = (1 << 24) - 1;

    public const int DefaultMaxFrameSize = 1 << 14;

    /// <summary>The initial flow-control window of a stream and of the connection until SETTINGS change it.</summary>
    public const int DefaultWindowSize = 65535;

    public bool Has(Http2FrameFlags flag) => (Flags & flag) != 0;

    public static Http2FrameHeader Read(ReadOnlySpan<byte> bytes) => new(
        bytes[0] << 16 | bytes[1] << 8 | bytes[2],
        (Http2FrameType)bytes[3],
        (Http2FrameFlags)bytes[4],
        (int)(BinaryPrimitives.ReadUInt32BigEndian(bytes[5..]) & 0x7FFF_FFFF)); // the reserved bit is ignored on receipt

    public void Write(Span<byte> destination)
    {
        destination[0] = (byte)(Length >> 16);
        destination[1] = (byte)(Length >> 8);
        destination[2] = (byte)Length;
        destination[3] = (byte)Type;
        destination[4] = (byte)Flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], (uint)StreamId);
    }
}
