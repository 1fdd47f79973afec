namespace Gear.Protocol.Grpc;

/// <summary>Names and values fixed by the gRPC-over-HTTP/2 protocol (PROTOCOL-HTTP2.md).</summary>
public static class GrpcProtocol
{
    /// <summary>The content type a gRPC call carries.</summary>
    public const string ContentType = "application/grpc";

    /// <summary>The explicit protobuf form of <see cref="ContentType"/>, also accepted.</summary>
    public const string ProtoContentType = "application/grpc+proto";

    /// <summary>Trailer (or Trailers-Only header) with the decimal status code.</summary>
    public const string StatusHeader = "grpc-status";

    /// <summary>Trailer with the percent-encoded status detail.</summary>
    public const string MessageHeader = "grpc-message";

    /// <summary>Request header with the call's timeout.</summary>
    public const string TimeoutHeader = "grpc-timeout";

    /// <summary>Header naming the compression of compressed messages.</summary>
    public const string EncodingHeader = "grpc-encoding";

    /// <summary>Header listing the compressions a peer accepts.</summary>
    public const string AcceptEncodingHeader = "grpc-accept-encoding";

    /// <summary>The only message encoding this implementation speaks: none.</summary>
    public const string IdentityEncoding = "identity";

    /// <summary>Request header that detects proxies which would drop trailers; its value is always "trailers".</summary>
    public const string TeHeader = "te";

    /// <summary>The user agent this implementation sends, in the structure the spec recommends.</summary>
    public const string UserAgent = "grpc-csharp-gear/1.0";

    /// <summary>
    /// True when <paramref name="contentType"/> is <c>application/grpc</c> or <c>application/grpc+suffix</c>
    /// (parameters after ';' allowed). <c>application/grpc-web</c> is a different protocol and is not accepted.
    /// </summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null || !contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase)) return false;
        if (contentType.Length == ContentType.Length) return true;
        char next = contentType[ContentType.Length];
        return next == '+' || next == ';';
    }

    /// <summary>True for request or response headers that the protocol owns rather than the application.</summary>
    public static bool IsReservedHeader(string name) =>
        name.StartsWith(':')
        || name.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("content-type", StringComparison.OrdinalIgnoreCase)
        || name.Equals(TeHeader, StringComparison.OrdinalIgnoreCase)
        || name.Equals("host", StringComparison.OrdinalIgnoreCase)
        || name.Equals("content-length", StringComparison.OrdinalIgnoreCase)
        || name.Equals("connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("date", StringComparison.OrdinalIgnoreCase)
        || name.Equals("server", StringComparison.OrdinalIgnoreCase);
}
