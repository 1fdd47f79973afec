using System.Net.Sockets;
using Gear.Protocol.DataPlane;
using Gear.Protocol.V1;
using static Gear.Client.Tests.LoopbackServer;

namespace Gear.Client.Tests;

/// <summary>The TCP data plane end to end on loopback: the real service, the real client.</summary>
[TestClass]
public sealed class DataPlaneTests
{
    private static async Task<(LoopbackServer Server, GearClient Client)> StartWithTableAsync(bool dataPlane = true)
    {
        var server = await StartAsync(dataPlane: dataPlane);
        var client = new GearClient(server.Address);
        // Uniform: a prioritized table's sum tree moves by rounding as it samples, so a second stream with the
        // same seed would not see exactly the same state.
        await client.CreateTableAsync(TableFill.ValueTable("t", Selector.Uniform));
        await TableFill.WriteAsync(client, "t", Enumerable.Range(1, 50).Select(i => (double)i).ToArray());
        return (server, client);
    }

    private static async Task<List<(byte[] Values, byte[] Mask, ulong[] Keys, int[] Starts, double[] P, double[] W)>> ReadAsync(
        GearClient client, bool dataPlane, ulong seed, int batches)
    {
        var result = new List<(byte[], byte[], ulong[], int[], double[], double[])>();
        await using var stream = await client.OpenBatchStreamAsync(new SampleOptions("t")
        {
            BatchSize = 32, WindowLength = 2, Seed = seed, MaxBatches = batches, ImportanceExponent = 0.5, UseDataPlane = dataPlane,
        });
        await foreach (var batch in stream)
        {
            using (batch)
                result.Add((batch.ColumnBytes("value").ToArray(), batch.Mask.ToArray(), batch.Keys.ToArray(), batch.StartSteps.ToArray(),
                    batch.Probabilities.ToArray(), batch.ImportanceWeights.ToArray()));
        }
        Assert.AreEqual(dataPlane, stream.Source is DataPlaneSource { FellBack: false }, "the stream took the transport asked for");
        return result;
    }

    [TestMethod]
    public async Task BatchesOverTcpEqualSampleStreamsForTheSameSeed()
    {
        var (server, client) = await StartWithTableAsync();
        await using (server)
        using (client)
        {
            var grpc = await ReadAsync(client, dataPlane: false, seed: 77, batches: 4);
            var tcp = await ReadAsync(client, dataPlane: true, seed: 77, batches: 4);
            Assert.AreEqual(4, tcp.Count);
            for (var b = 0; b < 4; b++)
            {
                CollectionAssert.AreEqual(grpc[b].Values, tcp[b].Values, $"batch {b} column bytes");
                CollectionAssert.AreEqual(grpc[b].Mask, tcp[b].Mask);
                CollectionAssert.AreEqual(grpc[b].Keys, tcp[b].Keys);
                CollectionAssert.AreEqual(grpc[b].Starts, tcp[b].Starts);
                CollectionAssert.AreEqual(grpc[b].P, tcp[b].P);
                CollectionAssert.AreEqual(grpc[b].W, tcp[b].W);
            }
        }
    }

    [TestMethod]
    public async Task AStalledLearnerCostsTheServerOnlyItsCredits()
    {
        var (server, client) = await StartWithTableAsync();
        await using (server)
        using (client)
        {
            var before = (await client.GetTableAsync("t")).WindowsSampled;
            await using var stream = await client.OpenBatchStreamAsync(new SampleOptions("t") { BatchSize = 8, BatchesInFlight = 1, Seed = 3 });
            using (var first = await stream.NextAsync())
                Assert.IsNotNull(first);
            // The learner stops reading: the server may gather the batch its one returned credit allows, then waits.
            await Task.Delay(500);
            var settled = (await client.GetTableAsync("t")).WindowsSampled;
            await Task.Delay(500);
            var later = (await client.GetTableAsync("t")).WindowsSampled;
            Assert.AreEqual(settled, later, "windows_sampled stops growing while the learner holds no credit");
            Assert.IsTrue(later - before <= 3 * 8, $"{later - before} windows gathered for a learner that read one batch of 8 with 1 credit");
        }
    }

    [TestMethod]
    public async Task AWrongSessionTokenIsRefusedAndTheServerKeepsServing()
    {
        var (server, client) = await StartWithTableAsync();
        await using (server)
        using (client)
        {
            var hello = new byte[LearnerFrames.HelloBytes];
            LearnerFrames.WriteHello(hello, new byte[LearnerFrames.TokenBytes], 2);
            Assert.AreEqual(0, await SendAndReadAsync(server, hello), "the connection is closed without a frame");
            Assert.AreEqual(2, (await ReadAsync(client, dataPlane: true, seed: 5, batches: 2)).Count);
        }
    }

    [TestMethod]
    public async Task GarbageOnTheDataPlanePortClosesThatConnectionOnly()
    {
        var (server, client) = await StartWithTableAsync();
        await using (server)
        using (client)
        {
            await using var stream = await client.OpenBatchStreamAsync(new SampleOptions("t") { BatchSize = 4, Seed = 1 });
            using (var first = await stream.NextAsync())
                Assert.IsNotNull(first);
            Assert.AreEqual(0, await SendAndReadAsync(server, "GET / HTTP/1.1\r\nHost: gear\r\n\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"u8.ToArray()));
            // The stream opened before the garbage goes on, and new streams open.
            using (var second = await stream.NextAsync())
                Assert.IsNotNull(second);
            Assert.AreEqual(1, (await ReadAsync(client, dataPlane: true, seed: 6, batches: 1)).Count);
        }
    }

    [TestMethod]
    public async Task WithoutADataPlaneTheStreamFallsBackToSampleStream()
    {
        var (server, client) = await StartWithTableAsync(dataPlane: false);
        await using (server)
        using (client)
        {
            await using var stream = await client.OpenBatchStreamAsync(new SampleOptions("t") { BatchSize = 4, MaxBatches = 2, Seed = 1 });
            var count = 0;
            await foreach (var batch in stream)
            {
                using (batch)
                    count++;
            }
            Assert.AreEqual(2, count);
            Assert.IsTrue(stream.Source is DataPlaneSource { FellBack: true });
            var info = (await client.GetServerInfoAsync()).Single();
            Assert.AreEqual(0, info.DataPlaneTransports.Count);
        }
    }

    [TestMethod]
    public async Task AStreamThatTakesOverGoesOnWithTheSequenceAndSeedsReached()
    {
        // What a data-plane stream falling back after 3 batches and 2 openings hands SampleStream: it must
        // number the next batch 3, stop after the 2 left, and open with the third opening's seed.
        var (server, client) = await StartWithTableAsync(dataPlane: false);
        await using (server)
        using (client)
        {
            var options = new SampleOptions("t") { BatchSize = 32, Seed = 40, MaxBatches = 5 };
            var request = options.ToStreamRequest(delivered: 3, opened: 2);
            Assert.AreEqual(42UL, request.Sample.Seed);
            Assert.AreEqual(2, request.MaxBatches);

            using var shard = new ShardConnection(0, server.Address, new GearClientOptions());
            var layout = await client.GetLayoutAsync("t");
            var continued = await DrainAsync(new SampleStreamSource(shard, options, new SampleBatchAssembler(layout), delivered: 3, opened: 2));
            Assert.AreEqual("3,4", string.Join(",", continued.Select(b => b.Sequence)));
            var fresh = await DrainAsync(new SampleStreamSource(shard, new SampleOptions("t") { BatchSize = 32, Seed = 42, MaxBatches = 2 }, new SampleBatchAssembler(layout)));
            CollectionAssert.AreEqual(fresh[0].Keys, continued[0].Keys, "the continuing stream's first batch is the third opening's");
            var first = await DrainAsync(new SampleStreamSource(shard, new SampleOptions("t") { BatchSize = 32, Seed = 40, MaxBatches = 1 }, new SampleBatchAssembler(layout)));
            CollectionAssert.AreNotEqual(first[0].Keys, continued[0].Keys, "and not a repeat of the first opening's");
        }
    }

    private static async Task<List<(long Sequence, ulong[] Keys)>> DrainAsync(IBatchSource source)
    {
        var batches = new List<(long, ulong[])>();
        await using (source)
        {
            while (await source.NextAsync(CancellationToken.None) is { } batch)
            {
                using (batch)
                    batches.Add((batch.Sequence, batch.Keys.ToArray()));
            }
        }
        return batches;
    }

    [TestMethod]
    public async Task ServerInfoNamesTcpAndWhyNotRdma()
    {
        var (server, client) = await StartWithTableAsync();
        await using (server)
        using (client)
        {
            var info = (await client.GetServerInfoAsync()).Single();
            CollectionAssert.AreEqual(new[] { "tcp" }, info.DataPlaneTransports.ToArray());
            StringAssert.Contains(info.DataPlaneReason, "rdma");
        }
    }

    [TestMethod]
    public async Task ABatchCostsFewAllocationsOnBothEnds()
    {
        var (server, client) = await StartWithTableAsync();
        await using (server)
        using (client)
        {
            await using var stream = await client.OpenBatchStreamAsync(new SampleOptions("t") { BatchSize = 64, WindowLength = 4, BatchesInFlight = 4, Seed = 2 });
            for (var i = 0; i < 100; i++)
                (await stream.NextAsync())!.Dispose();
            const int batches = 500;
            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < batches; i++)
                (await stream.NextAsync())!.Dispose();
            var perBatch = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)batches;
            // Server and client in one process, so this counts both: the async state of the sends and receives
            // and the batch view objects, not the payload (pooled on the client, pinned gather buffers on the server).
            Console.WriteLine($"data plane: {perBatch:F0} bytes allocated per batch (server and client together)");
            Assert.IsTrue(perBatch < 4096, $"{perBatch:F0} bytes allocated per batch");
        }
    }

    /// <summary>Connects to the data-plane port, sends <paramref name="bytes"/>, and returns the bytes read until the server closes.</summary>
    private static async Task<int> SendAndReadAsync(LoopbackServer server, byte[] bytes)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.DataPlane!.EndPoint);
        await socket.SendAsync(bytes);
        var buffer = new byte[4096];
        var total = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) is var n and > 0)
                total += n;
        }
        catch (SocketException)
        {
            // A reset is a close too.
        }
        return total;
    }
}
