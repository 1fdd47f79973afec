using Gear.Protocol.Rdma.Loopback;
using Gear.Protocol.Rdma.Native;
using Gear.Protocol.V1;
using static Gear.Client.Tests.LoopbackServer;

namespace Gear.Client.Tests;

/// <summary>
/// The RDMA data plane end to end: the real service and the real client, both on one loopback device, so that
/// every frame is RDMA-written into the learner's ring and every credit is a send over the queue pair.
/// </summary>
[TestClass]
public sealed class RdmaDataPlaneTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan FastProbe = TimeSpan.FromMilliseconds(50);

    private static async Task<(LoopbackServer Server, GearClient Client)> StartAsync(LoopbackVerbs serverFabric, LoopbackVerbs clientFabric)
    {
        var server = await LoopbackServer.StartAsync(rdma: serverFabric, rdmaProbeInterval: FastProbe);
        var client = new GearClient(new GearClientOptions { Endpoints = [server.Address], RdmaVerbs = clientFabric, RdmaProbeInterval = FastProbe });
        await client.CreateTableAsync(TableFill.ValueTable("t", Selector.Uniform));
        await TableFill.WriteAsync(client, "t", Enumerable.Range(1, 50).Select(i => (double)i).ToArray());
        return (server, client);
    }

    private static SampleOptions Options(bool dataPlane, ulong seed, int batches, int inFlight = 3) => new("t")
    {
        BatchSize = 32, WindowLength = 2, Seed = seed, MaxBatches = batches, ImportanceExponent = 0.5, UseDataPlane = dataPlane, BatchesInFlight = inFlight,
    };

    /// <summary>Reads a whole stream; returns each batch's bytes and metadata, and the transport it used after its first batch.</summary>
    private static async Task<(List<byte[]> Batches, string? Transport)> ReadAsync(GearClient client, SampleOptions options)
    {
        var batches = new List<byte[]>();
        string? transport = null;
        await using var stream = await client.OpenBatchStreamAsync(options);
        await foreach (var batch in stream)
        {
            using (batch)
            {
                batches.Add([.. batch.ColumnBytes("value"), .. batch.Mask,
                    .. System.Runtime.InteropServices.MemoryMarshal.AsBytes(batch.Keys), .. System.Runtime.InteropServices.MemoryMarshal.AsBytes(batch.StartSteps),
                    .. System.Runtime.InteropServices.MemoryMarshal.AsBytes(batch.Probabilities), .. System.Runtime.InteropServices.MemoryMarshal.AsBytes(batch.ImportanceWeights)]);
            }
            transport ??= (stream.Source as DataPlaneSource)?.Transport;
        }
        return (batches, transport);
    }

    /// <summary>Reads a stream to its end; returns how many batches it delivered.</summary>
    private static async Task<int> DrainAsync(BatchStream stream)
    {
        var delivered = 0;
        using var timeout = new CancellationTokenSource(Patience);
        while (await stream.NextAsync(timeout.Token) is { } batch)
        {
            batch.Dispose();
            delivered++;
        }
        return delivered;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!condition())
        {
            if (timeout.IsCancellationRequested)
                Assert.Fail($"timed out waiting until {what}");
            await Task.Delay(10);
        }
    }

    [TestMethod]
    [DataRow(IbvLinkLayer.InfiniBand)]
    [DataRow(IbvLinkLayer.Ethernet)]
    public async Task BatchesOverRdmaEqualSampleStreamsForTheSameSeed(IbvLinkLayer linkLayer)
    {
        using var fabric = new LoopbackVerbs(linkLayer);
        var (server, client) = await StartAsync(fabric, fabric);
        await using (server)
        using (client)
        {
            var (grpc, _) = await ReadAsync(client, Options(dataPlane: false, seed: 77, batches: 8));
            var (rdma, transport) = await ReadAsync(client, Options(dataPlane: true, seed: 77, batches: 8));
            Assert.AreEqual("rdma", transport);
            Assert.AreEqual(8, rdma.Count);
            for (var b = 0; b < 8; b++)
                CollectionAssert.AreEqual(grpc[b], rdma[b], $"batch {b}: columns, mask and metadata equal what the CPU gather sent over gRPC");
            // Both sides released the session: the server its queue pair and staging, the learner its ring.
            await WaitUntilAsync(() => fabric.QueuePairs == 0 && fabric.Regions == 0, "every queue pair and region is released");
        }
    }

    [TestMethod]
    public async Task ServerInfoOffersRdmaFirstAndNamesTheDevice()
    {
        using var fabric = new LoopbackVerbs();
        var (server, client) = await StartAsync(fabric, fabric);
        await using (server)
        using (client)
        {
            var info = (await client.GetServerInfoAsync()).Single();
            CollectionAssert.AreEqual(new[] { "rdma", "tcp" }, info.DataPlaneTransports.ToArray());
            StringAssert.Contains(info.DataPlaneReason, LoopbackVerbs.DeviceName);
        }
    }

    [TestMethod]
    public async Task WithoutAServerDeviceTheStreamUsesTcpAndServerInfoSaysWhy()
    {
        using var none = new LoopbackVerbs(deviceCount: 0);
        using var fabric = new LoopbackVerbs();
        var (server, client) = await StartAsync(none, fabric);
        await using (server)
        using (client)
        {
            var info = (await client.GetServerInfoAsync()).Single();
            CollectionAssert.AreEqual(new[] { "tcp" }, info.DataPlaneTransports.ToArray());
            StringAssert.Contains(info.DataPlaneReason, "no RDMA device");
            var (batches, transport) = await ReadAsync(client, Options(dataPlane: true, seed: 3, batches: 3));
            Assert.AreEqual(3, batches.Count);
            Assert.AreEqual("tcp", transport);
            await WaitUntilAsync(() => fabric.QueuePairs == 0 && fabric.Regions == 0, "the learner released the ring it offered");
        }
    }

    [TestMethod]
    public async Task WithoutALearnerDeviceTheStreamUsesTcp()
    {
        using var fabric = new LoopbackVerbs();
        using var none = new LoopbackVerbs(deviceCount: 0);
        var (server, client) = await StartAsync(fabric, none);
        await using (server)
        using (client)
        {
            var (batches, transport) = await ReadAsync(client, Options(dataPlane: true, seed: 3, batches: 3));
            Assert.AreEqual(3, batches.Count);
            Assert.AreEqual("tcp", transport);
            await using var stream = await client.OpenBatchStreamAsync(Options(dataPlane: true, seed: 4, batches: 1));
            (await stream.NextAsync())!.Dispose();
            Assert.AreEqual("no RDMA device", ((DataPlaneSource)stream.Source).RdmaUnavailableReason);
        }
    }

    [TestMethod]
    public async Task AVanishedLearnerEndsItsSessionAndTheServerReleasesIt()
    {
        using var fabric = new LoopbackVerbs();
        var (server, client) = await StartAsync(fabric, fabric);
        await using (server)
        using (client)
        {
            var stream = await client.OpenBatchStreamAsync(Options(dataPlane: true, seed: 5, batches: 0));
            (await stream.NextAsync())!.Dispose();
            var numbers = fabric.QueuePairNumbers();
            Assert.AreEqual(2, numbers.Length, "the learner's queue pair and the server's");
            // The learner's process dies: its queue pair answers nothing from now on.
            fabric.Vanish(numbers[0]);
            await WaitUntilAsync(() => fabric.QueuePairs == 1 && fabric.Regions == 1, "the server destroyed its queue pair and freed its staging");
            Assert.AreEqual(0, server.Rdma!.RunningSessions);
            await stream.DisposeAsync();
        }
    }

    [TestMethod]
    public async Task AVanishedServerQueuePairIsAnErrorTheStreamRecoversFromWithANewSession()
    {
        using var fabric = new LoopbackVerbs();
        var (server, client) = await StartAsync(fabric, fabric);
        await using (server)
        using (client)
        {
            await using var stream = await client.OpenBatchStreamAsync(Options(dataPlane: true, seed: 5, batches: 6));
            (await stream.NextAsync())!.Dispose();
            var first = fabric.QueuePairNumbers();
            fabric.Vanish(first[1]);
            Assert.AreEqual(5, await DrainAsync(stream), "the stream reconnected (a new OpenDataPlane) and delivered the rest");
            CollectionAssert.DoesNotContain(fabric.QueuePairNumbers(), first[0], "the broken session's learner side was released");
        }
    }

    [TestMethod]
    [DataRow(IbvWcStatus.RemoteAccessError)]
    [DataRow(IbvWcStatus.RetryExceeded)]
    public async Task AFailedWriteEndsTheSessionAndTheStreamCarriesOn(IbvWcStatus status)
    {
        using var fabric = new LoopbackVerbs();
        var (server, client) = await StartAsync(fabric, fabric);
        await using (server)
        using (client)
        {
            await using var stream = await client.OpenBatchStreamAsync(Options(dataPlane: true, seed: 9, batches: 6, inFlight: 1));
            (await stream.NextAsync())!.Dispose();
            fabric.FailNextSend(status);
            Assert.AreEqual(5, await DrainAsync(stream), "the stream reconnected (a new OpenDataPlane) and delivered the rest");
            await WaitUntilAsync(() => server.Rdma!.RunningSessions == 0, "the failed session and the last one ended");
            Assert.AreEqual(0, fabric.QueuePairs, "every session's queue pairs were released");
        }
    }
}
