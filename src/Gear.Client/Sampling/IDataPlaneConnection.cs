using Gear.Protocol.DataPlane;

namespace Gear.Client;

/// <summary>One data-plane session's batch frames, whatever carries them (a TCP connection, an RDMA ring).</summary>
internal interface IDataPlaneConnection : IDisposable
{
    /// <summary>The next batch frame (header and a pooled payload the batch will own), or null after a normal end frame.</summary>
    /// <exception cref="Gear.Protocol.Grpc.RpcException">The server ended the stream with an error status.</exception>
    /// <exception cref="IOException">The connection broke or carried a bad frame.</exception>
    ValueTask<(BatchFrameHeader Header, byte[] Payload)?> ReadAsync(SampleBatchAssembler assembler, int maxWindows, int windowLength, CancellationToken cancellationToken);
}
