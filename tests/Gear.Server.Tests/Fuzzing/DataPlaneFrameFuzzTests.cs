using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Gear.Core.Compute.Cpu;
using Gear.Protocol.DataPlane;
using Gear.Protocol.V1;
using Gear.Server.Admin.Metrics;
using Gear.Server.DataPlane;
using Gear.Server.Service;
using Gear.Server.Tests.Grpc;
using Gear.Server.Tests.Service;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gear.Server.Tests.Fuzzing;

/// <summary>
/// Mutated learner frames (hello, credits) on real TCP data-plane connections. For each, the server either
/// closes the connection with a logged reason or serves it correctly (every byte it sends is a well-formed frame
/// of that session); it never hangs; and after every batch a well-behaved learner is still served.
/// </summary>
[TestClass]
public sealed class DataPlaneFrameFuzzTests
{
    /// <summary>Far beyond a loopback round trip; a connection still open after it is a hang.</summary>
    private static readonly TimeSpan ReplyLimit = TimeSpan.FromSeconds(5);

    private static CpuBackend _backend = null!;
    private static TableRegistry _tables = null!;
    private static GearMetrics _metrics = null!;
    private static TestLogger _log = null!;
    private static TcpDataPlane _dataPlane = null!;
    private static SampleStreamRequest _request = null!;

    [ClassInitialize]
    public static void Start(TestContext _)
    {
        _backend = new CpuBackend();
        _tables = new TableRegistry(_backend, NullLogger<TableRegistry>.Instance);
        var spec = KnownSteps.Spec("data-plane-fuzz");
        SeedTables.Fill(_tables.Create(spec), trajectories: 12);
        _metrics = new GearMetrics();
        _log = new TestLogger();
        _dataPlane = TcpDataPlane.Start(new IPEndPoint(IPAddress.Loopback, 0), _tables, _metrics, new TestLoggerFactory(_log));
        _request = new SampleStreamRequest
        {
            Sample = new SampleRequest { Table = spec.Name, BatchSize = 2, WindowLength = 2, Placement = WindowPlacement.Start },
            MaxBatches = 2,
        };
    }

    [ClassCleanup]
    public static async Task Stop()
    {
        await _dataPlane.DisposeAsync();
        _tables.Dispose();
        _metrics.Dispose();
        _backend.Dispose();
    }

    /// <summary>
    /// Half the inputs mutate the hello, half send a valid hello and mutated credit frames; half of each give the
    /// mutated frame a matching checksum again, so the checks behind the checksum are reached.
    /// </summary>
    [TestMethod]
    public async Task MutatedLearnerFramesAreServedOrClosedWithAReason()
    {
        await FuzzCampaign.RunAsync("data-plane frames", FuzzBudget.For(defaultInputs: 1000, defaultSeed: 61), async (mutator, i) =>
        {
            var session = _dataPlane.Grant(_request);
            var hello = new byte[LearnerFrames.HelloBytes];
            LearnerFrames.WriteHello(hello, session.Token, credits: 1);
            var credit = new byte[LearnerFrames.CreditBytes];
            LearnerFrames.WriteCredit(credit, 1);
            var rechecksum = i / 2 % 2 == 1;
            byte[] sent = i % 2 == 0
                ? Mutated(mutator, hello, rechecksum)
                : [.. hello, .. Mutated(mutator, credit, rechecksum), .. credit];
            return await ExchangeAsync(sent, session.Id);
        }, CheckServedAsync);
    }

    /// <summary>A mutated copy of a learner frame; with <paramref name="rechecksum"/> its trailing CRC-32C is made to match again.</summary>
    private static byte[] Mutated(Mutator mutator, byte[] frame, bool rechecksum)
    {
        var mutated = mutator.Mutate(frame);
        if (rechecksum && mutated.Length >= 8)
            BinaryPrimitives.WriteUInt32LittleEndian(mutated.AsSpan(^4), FrameChecksum.Compute(mutated.AsSpan(0, mutated.Length - 4)));
        return mutated;
    }

    /// <summary>A well-behaved learner still gets its batches.</summary>
    private static async Task CheckServedAsync()
    {
        var session = _dataPlane.Grant(_request);
        var hello = new byte[LearnerFrames.HelloBytes];
        LearnerFrames.WriteHello(hello, session.Token, credits: 2);
        using var socket = await ConnectAsync();
        await socket.SendAsync(hello);
        var received = await ReadToEndAsync(socket);
        Assert.IsNotNull(received, "a valid session is answered and ended");
        Assert.AreEqual(3, Frames(received, session.Id, out var problem), $"two batches and an end frame: {problem}");
    }

    /// <summary>Sends <paramref name="bytes"/>, closes the sending side, and judges what came back.</summary>
    private static async Task<string?> ExchangeAsync(byte[] bytes, ulong session)
    {
        using var socket = await ConnectAsync();
        var peer = socket.LocalEndPoint!.ToString()!;
        await socket.SendAsync(bytes);
        socket.Shutdown(SocketShutdown.Send);
        var received = await ReadToEndAsync(socket);
        if (received is null)
            return $"connection still open after {ReplyLimit.TotalSeconds} s; sent {Convert.ToHexString(bytes)}";
        Frames(received, session, out var problem);
        if (problem is not null)
            return $"served, but {problem}";
        return _log.Entries.Any(e => e.Message.Contains(peer, StringComparison.Ordinal))
            ? null
            : $"closed without a logged reason; sent {Convert.ToHexString(bytes)}";
    }

    private static async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(_dataPlane.EndPoint);
        return socket;
    }

    /// <summary>Everything the server sends until it closes; null if it does not close within <see cref="ReplyLimit"/>.</summary>
    private static async Task<byte[]?> ReadToEndAsync(Socket socket)
    {
        using var deadline = new CancellationTokenSource(ReplyLimit);
        using var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0)
                received.Write(buffer, 0, read);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (SocketException)
        {
            // A reset after the server closed with our frames unread: what arrived before it still counts.
        }
        return received.ToArray();
    }

    /// <summary>
    /// Counts the whole frames of <paramref name="session"/> in <paramref name="bytes"/>; <paramref name="problem"/>
    /// names the first malformed one. A last frame cut short is not a problem: when the learner misbehaves or
    /// goes away the server abandons the frame it is writing and closes, which the learner sees as the end.
    /// </summary>
    private static int Frames(byte[] bytes, ulong session, out string? problem)
    {
        var columns = _tables.Tables.Single().Spec.Columns.Count;
        var header = new BatchFrameHeader(columns);
        var size = BatchFrameHeader.SizeFor(columns);
        var count = 0;
        problem = null;
        for (var at = 0; at < bytes.Length; count++)
        {
            if (bytes.Length - at < size)
                return count;
            try
            {
                header.Read(bytes.AsSpan(at, size));
            }
            catch (DataPlaneFrameException e)
            {
                return Fail(e.Message, out problem, count);
            }
            if (header.Session != session)
                return Fail($"frame of session {header.Session}, expected {session}", out problem, count);
            at += size + header.MetadataBytes + (int)header.ColumnBytes.Sum() + (int)header.MaskBytes;
            if (at > bytes.Length)
                return count;
        }
        return count;
    }

    private static int Fail(string why, out string? problem, int count)
    {
        problem = why;
        return count;
    }
}
