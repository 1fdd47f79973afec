using System.Buffers;

namespace Gear.Protocol.Grpc;

/// <summary>
/// A message that writes its own wire bytes instead of going through a protobuf message object: for replies
/// that carry multi-megabyte buffers the sender already holds, written straight into the transport's buffers
/// in large copies rather than serialized in the protobuf writer's small chunks. The bytes must be exactly
/// what protobuf would write for the call's message type, so any gRPC peer parses them.
/// </summary>
public interface IEncodedMessage
{
    /// <summary>The message size in bytes, without the gRPC prefix.</summary>
    int Size { get; }

    /// <summary>Writes exactly <see cref="Size"/> bytes into <paramref name="output"/>.</summary>
    void WriteTo(IBufferWriter<byte> output);
}
