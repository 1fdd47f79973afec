using System.Net;
using System.Net.Sockets;
using Gear.Core.Compute.Cpu;
using Gear.Core.RateLimiting;
using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Tables;
using Gear.Server.DataPlane;
using Gear.Server.Service;

namespace Gear.Server.Tests.DataPlane;

/// <summary>
/// The TCP writer sends a held batch from the table's pages: its frame must be byte for byte the frame of the
/// gathered batch, whether the learner reads along or stalls mid-frame (then the writer gathers and lets the
/// pages go, so a stalled learner holds none of them).
/// </summary>
[TestClass]
public sealed class BatchFrameWriterTests
{
    private const int Windows = 16;
    private const int WindowLength = 48;
    private const int StepBytes = 16 << 10;

    [TestMethod]
    public async Task AFrameSentFromThePagesEqualsTheGatheredFrame()
    {
        using var setup = await Setup.StartAsync();
        var (expected, frame) = await setup.SampleBothAsync(seed: 5);
        var write = setup.Writer.WriteHeldBatchAsync(setup.Table, frame, 3, CancellationToken.None).AsTask();
        var received = await setup.ReceiveAsync(expected.Length);
        await write;
        CollectionAssert.AreEqual(expected, received);
        setup.Table.Sample(new SampleRequest(1, WindowLength), new RandomStream(1), frame.Batch, TimeSpan.FromSeconds(5)); // released: it samples again
    }

    [TestMethod]
    public async Task ALearnerThatStallsMidFrameHoldsNoPagesAndStillGetsTheFrame()
    {
        using var setup = await Setup.StartAsync();
        var (expected, frame) = await setup.SampleBothAsync(seed: 8);
        var write = setup.Writer.WriteHeldBatchAsync(setup.Table, frame, 3, CancellationToken.None).AsTask();
        await Task.Delay(BatchFrameWriter.StallTimeout * 5);
        Assert.IsFalse(write.IsCompleted, "the learner reads nothing yet: the frame (12 MB) is larger than the socket buffers");

        // Every trajectory deleted: pages the write still held would stay allocated.
        setup.Table.Delete(setup.Keys);
        var info = setup.Table.GetInfo();
        Assert.AreEqual(info.PagesTotal, info.PagesFree, "the stalled write let the table's pages go");

        var received = await setup.ReceiveAsync(expected.Length);
        await write;
        CollectionAssert.AreEqual(expected, received, "the rest of the frame came from the gathered copy");
    }

    [TestMethod]
    public async Task SamplingAndWritingAHeldBatchAllocatesNothing()
    {
        using var setup = await Setup.StartAsync();
        var (expected, frame) = await setup.SampleBothAsync(seed: 2);
        const int batches = 20;
        var draining = Task.Factory.StartNew(() => setup.Drain((long)expected.Length * (batches + 1)), TaskCreationOptions.LongRunning);
        var request = new SampleRequest(Windows, WindowLength, WindowPlacement.Uniform, 0.4);
        var random = new RandomStream(4);
        long allocated = 0;
        var counted = 0;
        var allocatingBatches = new List<string>();
        for (var b = 0; b <= batches; b++)
        {
            if (b > 0)
            {
                // Counted on this thread up to the first await: the sample and the sends from the pages run here.
                var before = GC.GetAllocatedBytesForCurrentThread();
                var sampling = setup.Table.SampleHeldAsync(request, random, frame.Batch, TimeSpan.FromSeconds(5));
                Assert.IsTrue(sampling.IsCompletedSuccessfully, "a MinSize(1) table with items samples at once");
                var writing = setup.Writer.WriteHeldBatchAsync(setup.Table, frame, (ulong)b, CancellationToken.None);
                var after = GC.GetAllocatedBytesForCurrentThread();
                // A write that went asynchronous stalled (a loaded machine) and boxed its state: not this path.
                if (writing.IsCompleted)
                {
                    (allocated, counted) = (allocated + after - before, counted + 1);
                    if (after != before)
                        allocatingBatches.Add($"batch {b}: {after - before} B");
                }
                await writing;
            }
            else
            {
                await setup.Writer.WriteHeldBatchAsync(setup.Table, frame, 0, CancellationToken.None); // warms up
                await setup.Table.SampleHeldAsync(request, random, frame.Batch, TimeSpan.FromSeconds(5));
                setup.Table.ReleaseHeld(frame.Batch);
            }
        }
        await draining;
        // About 200 page runs per batch: anything allocated per batch or per run shows here.
        Assert.IsTrue(counted > 0, "no batch was sent from the pages without stalling");
        Assert.AreEqual(0, allocated, $"{allocated} bytes allocated over {counted} batches ({string.Join(", ", allocatingBatches)})");
    }

    /// <summary>A table of 16 KB steps in trajectories whose pages interleave, and a loopback connection whose learner side has a small receive buffer.</summary>
    private sealed class Setup : IDisposable
    {
        private readonly CpuBackend _backend = new();
        private readonly Socket _learner;
        private readonly Socket _server;
        private readonly GatherBuffer _gathered;

        private Setup(Socket learner, Socket server)
        {
            _learner = learner;
            _server = server;
            var columns = new[] { new ColumnSpec("obs", DType.U8, StepBytes) };
            Table = new Table(new TableSpec
            {
                Name = "t",
                Columns = columns,
                PageSteps = 4,
                HostCapacityBytes = 1024L * StepBytes,
                MaxTrajectories = 16,
                RateLimiter = RateLimiterSpec.MinSize(1),
            }, _backend);
            // Two trajectories written step by step at a time interleave their pages; lengths 30 to 100 steps,
            // so windows of 48 are sometimes padded.
            var keys = new List<ulong>();
            var random = new Random(3);
            var step = new byte[StepBytes];
            for (var pair = 0; pair < 4; pair++)
            {
                ulong a = Table.OpenTrajectory(), b = Table.OpenTrajectory();
                for (var s = 0; s < 30 + 20 * pair; s++)
                {
                    random.NextBytes(step);
                    Table.AppendStep(a, [step]);
                    random.NextBytes(step);
                    Table.AppendStep(b, [step]);
                }
                Table.Close(a, 1.0);
                Table.Close(b, 1.0);
                keys.AddRange([a, b]);
            }
            Keys = [.. keys];
            _gathered = new GatherBuffer(columns, Windows, WindowLength);
            Frame = new GatherBuffer(columns, Windows, WindowLength);
            Writer = new BatchFrameWriter(server, new NetworkStream(server), 1, [StepBytes], Windows);
        }

        public Table Table { get; }

        public ulong[] Keys { get; }

        public GatherBuffer Frame { get; }

        public BatchFrameWriter Writer { get; }

        public static async Task<Setup> StartAsync()
        {
            using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            // A small receive buffer, set before connecting so that the window is small from the start.
            var learner = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 64 << 10 };
            await learner.ConnectAsync(listener.LocalEndPoint!);
            var server = await listener.AcceptAsync();
            server.SendBufferSize = 1 << 20;
            return new Setup(learner, server);
        }

        /// <summary>The same windows gathered (their whole frame, the expectation) and held (in <see cref="Frame"/>, to write).</summary>
        public async Task<(byte[] Expected, GatherBuffer Held)> SampleBothAsync(ulong seed)
        {
            var request = new SampleRequest(Windows, WindowLength, WindowPlacement.Uniform, 0.4);
            await Table.SampleAsync(request, new RandomStream(seed), _gathered.Batch, TimeSpan.FromSeconds(5));
            await Table.SampleHeldAsync(request, new RandomStream(seed), Frame.Batch, TimeSpan.FromSeconds(5));
            var encoder = new BatchFrameEncoder(1, 1);
            var expected = new byte[encoder.FixedBytes(Windows) + Windows * WindowLength * (StepBytes + 1)];
            Assert.AreEqual(expected.Length, encoder.WriteBatch(_gathered, 3, expected));
            return (expected, Frame);
        }

        public async Task<byte[]> ReceiveAsync(int bytes)
        {
            var received = new byte[bytes];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            for (var at = 0; at < bytes;)
                at += await _learner.ReceiveAsync(received.AsMemory(at), SocketFlags.None, timeout.Token);
            return received;
        }

        /// <summary>Receives and discards <paramref name="bytes"/> bytes with blocking calls.</summary>
        public void Drain(long bytes)
        {
            var buffer = new byte[1 << 20];
            for (long at = 0; at < bytes;)
                at += _learner.Receive(buffer, (int)Math.Min(buffer.Length, bytes - at), SocketFlags.None);
        }

        public void Dispose()
        {
            _learner.Dispose();
            _server.Dispose();
            _gathered.Dispose();
            Frame.Dispose();
            Table.Dispose();
            _backend.Dispose();
        }
    }
}
