namespace Gear.Protocol.Grpc.Http2;

/// <summary>The server broke the HTTP/2 protocol; the client ends the connection with GOAWAY and this code.</summary>
internal sealed class Http2ProtocolException(Http2ErrorCode code, string message) : Exception(message)
{
    public Http2ErrorCode Code { get; } = code;
}

/// <summary>The server ended the stream with an error code: RST_STREAM, or GOAWAY with an error.</summary>
internal sealed class Http2StreamResetException(uint errorCode, string message) : Exception(message)
{
    public uint ErrorCode { get; } = errorCode;
}

/// <summary>
/// The server has ended the stream (its trailers came), so what the client would still send is not read: the
/// call's status is in those trailers.
/// </summary>
internal sealed class Http2StreamEndedException() : IOException("The server has ended the call, so the request cannot be sent.");
