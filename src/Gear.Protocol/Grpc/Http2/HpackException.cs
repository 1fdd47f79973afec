namespace Gear.Protocol.Grpc.Http2;

/// <summary>
/// A header block that breaks RFC 7541. The peer's encoder and our decoder no longer agree on the dynamic
/// table after this, so the connection must end with COMPRESSION_ERROR rather than only the stream.
/// </summary>
internal sealed class HpackException(string message) : Exception(message);
