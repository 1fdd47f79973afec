namespace Gear.Protocol.Grpc.Http2;

/// <summary>
/// The response's HEADERS: the HTTP status, every field in order (pseudo-headers included), and whether the
/// server ended the stream with them (a gRPC Trailers-Only response).
/// </summary>
internal sealed record Http2ResponseHead(int Status, List<KeyValuePair<string, string>> Fields, bool EndStream);
