using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gear.Protocol;
using Gear.Protocol.DataPlane;
using Gear.Protocol.V1;

namespace Gear.Server.Bench;

/// <summary>
/// The sample workloads over the TCP data plane: one learner negotiates a session with OpenDataPlane and
/// receives frames into one reused buffer, returning a credit per batch, as Gear.Client does (the server
/// does not reference the client, so the bench speaks the frame format of Gear.Protocol directly).
/// </summary>
internal static class DataPlaneSampleWorkload
{
    /// <summary>Batches the learner lets the server send ahead.</summary>
    public const int Credits = 4;

    /// <summary>Issue 5's least ratio to the raw socket: 0.7 for W1's transitions, 0.8 for W4's long windows.</summary>
    public static double Target(BenchWorkload workload) => workload == BenchWorkload.W4Sample ? 0.8 : 0.7;

    /// <summary>Bytes per second of column payload received over <see cref="BenchRun.Duration"/>.</summary>
    public static Task<double> RunAsync(BenchRun run, BenchTable table, int batchSize, int windowLength) =>
        LearnerMeasurement.RunAsync(run, (channel, received, stop) => ReadAsync(channel, table, batchSize, windowLength, received, stop));

    /// <summary>
    /// One learner: reads batches until <paramref name="stop"/> fires, counting their step bytes, and records
    /// how long it waited for each batch, from asking for its header to holding its payload.
    /// </summary>
    internal static async Task ReadAsync(
        Protocol.Grpc.GrpcChannel channel, BenchTable table, int batchSize, int windowLength, ByteCounter received, CancellationToken stop,
        LatencyRecorder? batchLatency = null)
    {
        var request = new OpenDataPlaneRequest
        {
            Stream = new SampleStreamRequest
            {
                Sample = table.SampleRequest(batchSize, windowLength),
                BatchesInFlight = Credits,
            },
            Transports = { "tcp" },
        };
        var grant = await channel.UnaryAsync(ReplayMethods.OpenDataPlane, request);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPEndPoint.Parse(grant.Endpoint), stop);
        await using var stream = new NetworkStream(socket);
        var hello = new byte[LearnerFrames.HelloBytes];
        LearnerFrames.WriteHello(hello, grant.SessionToken.Span, Credits);
        await stream.WriteAsync(hello, stop);
        var credit = new byte[LearnerFrames.CreditBytes];
        LearnerFrames.WriteCredit(credit, 1);
        var columns = table.Layout.Columns.Count;
        var header = new BatchFrameHeader(columns);
        var headerBytes = new byte[header.Size];
        var payload = Array.Empty<byte>();
        try
        {
            while (true)
            {
                var asked = Stopwatch.GetTimestamp();
                await stream.ReadExactlyAsync(headerBytes, stop);
                header.Read(headerBytes); // checks the magic, the checksum and the size against the column count
                if (header.Kind != FrameKind.Batch || header.Windows != batchSize || header.WindowLength != windowLength)
                    throw new InvalidOperationException($"asked for {batchSize} windows of {windowLength} steps, got a {header.Kind} frame of {header.Windows} × {header.WindowLength}");
                var bytes = checked((int)header.PayloadBytes);
                if (payload.Length < bytes)
                    payload = new byte[bytes];
                await PayloadReceiver.ReceiveExactlyAsync(socket, payload.AsMemory(0, bytes), stop);
                batchLatency?.Record(asked);
                await stream.WriteAsync(credit, stop);
                received.Add((long)batchSize * windowLength * table.Layout.StepBytes);
            }
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            // The end of the measurement: a read or write the stop interrupted (cancelled, or the socket reset).
        }
    }
}
