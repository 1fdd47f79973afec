using Gear.Protocol.Grpc;

namespace Gear.Server.Bench;

/// <summary>What every workload of one run shares: the server, the timing, and the way to stop.</summary>
/// <param name="Server">The gRPC address of the server under test.</param>
/// <param name="Warmup">How long each workload runs before it is measured.</param>
/// <param name="Duration">How long each workload is measured.</param>
/// <param name="Cancellation">Stops the run (Ctrl-C).</param>
internal sealed record BenchRun(Uri Server, TimeSpan Warmup, TimeSpan Duration, CancellationToken Cancellation)
{
    /// <summary>
    /// A channel of its own for one actor or learner: each is a separate client in a real deployment, with its
    /// own connection, and one shared connection would serialize their frames in the client.
    /// </summary>
    public GrpcChannel NewChannel() => GrpcChannel.ForAddress(Server);
}
