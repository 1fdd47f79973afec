namespace Gear.Protocol.Grpc;

/// <summary>
/// Statuses for responses and stream resets that carry no <c>grpc-status</c>, following the grpc
/// repository's doc/http-grpc-status-mapping.md and the RST_STREAM table of PROTOCOL-HTTP2.md.
/// </summary>
public static class HttpStatusMapping
{
    /// <summary>The gRPC status code for an HTTP response status without <c>grpc-status</c>.</summary>
    public static StatusCode FromHttpStatus(int httpStatus) => httpStatus switch
    {
        400 => StatusCode.Internal,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.Unimplemented,
        429 or 502 or 503 or 504 => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };

    /// <summary>The gRPC status code for an RST_STREAM error code sent by a server.</summary>
    public static StatusCode FromHttp2ErrorCode(long errorCode) => errorCode switch
    {
        0x7 => StatusCode.Unavailable,        // REFUSED_STREAM: nothing was processed; retry may help
        0x8 => StatusCode.Cancelled,          // CANCEL
        0xB => StatusCode.ResourceExhausted,  // ENHANCE_YOUR_CALM
        0xC => StatusCode.PermissionDenied,   // INADEQUATE_SECURITY
        0xD => StatusCode.Unavailable,        // HTTP_1_1_REQUIRED (not in the spec's table): no gRPC server there
        _ => StatusCode.Internal,
    };

    /// <summary>The HTTP/2 CANCEL error code, sent in RST_STREAM to cancel a call.</summary>
    public const int Http2CancelErrorCode = 0x8;
}
