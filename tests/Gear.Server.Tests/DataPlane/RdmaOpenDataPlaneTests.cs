using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.Rdma.Loopback;
using Gear.Protocol.V1;
using Gear.Server.Tests.Service;
using Google.Protobuf;

namespace Gear.Server.Tests.DataPlane;

/// <summary>OpenDataPlane's choice between rdma and tcp, and its checks of the learner's ring.</summary>
[TestClass]
public sealed class RdmaOpenDataPlaneTests
{
    private const string Table = "rdma";

    private static OpenDataPlaneRequest Request(RdmaRing? ring, params string[] transports) => new()
    {
        Stream = new SampleStreamRequest { Sample = new SampleRequest { Table = Table, BatchSize = 4, WindowLength = 2 }, MaxBatches = 2 },
        Transports = { transports },
        RdmaRing = ring,
    };

    /// <summary>A ring that would hold the stream's frames, from a learner queue pair nobody has.</summary>
    private static RdmaRing GoodRing() => new()
    {
        Address = 0x7f00_0000_0000,
        Rkey = 0x1234,
        SlotBytes = 64 * 1024,
        SlotCount = 2,
        QueuePair = new RdmaQueuePair { QpNum = 0xABCDE, Psn = 7, Lid = 0x2a, Gid = ByteString.CopyFrom(new byte[16]), Mtu = 5 },
    };

    private static async Task<ServiceHarness> StartAsync(Gear.Protocol.Rdma.IVerbs? verbs)
    {
        var harness = await ServiceHarness.StartWithDataPlaneAsync(verbs, TimeSpan.FromMilliseconds(20));
        await harness.Client().Unary(ReplayMethods.CreateTable, new CreateTableRequest { Spec = KnownSteps.Spec(Table) });
        return harness;
    }

    [TestMethod]
    public async Task WithoutADeviceTheServerGrantsTcpAndSaysWhy()
    {
        // The real library: on machines without RDMA (these) it finds no device, or is not installed at all.
        await using var harness = await StartAsync(verbs: null);
        if (harness.Rdma!.Available)
            Assert.Inconclusive($"this machine has an RDMA device: {harness.Rdma.Reason}");
        var client = harness.Client();
        var info = await client.Unary(ReplayMethods.GetServerInfo, new GetServerInfoRequest());
        CollectionAssert.AreEqual(new[] { "tcp" }, info.DataPlaneTransports.ToArray());
        Assert.IsTrue(info.DataPlaneReason.Contains("no RDMA device") || info.DataPlaneReason.Contains("not installed"), info.DataPlaneReason);

        var grant = await client.Unary(ReplayMethods.OpenDataPlane, Request(GoodRing(), "rdma", "tcp"));
        Assert.AreEqual("tcp", grant.Transport);
        Assert.AreEqual(harness.DataPlane!.EndPoint.ToString(), grant.Endpoint);
        Assert.IsNull(grant.RdmaQueuePair);
        await ReplayServiceTests.AssertStatus(StatusCode.FailedPrecondition, "rdma unavailable", client.Unary(ReplayMethods.OpenDataPlane, Request(GoodRing(), "rdma")));
    }

    [TestMethod]
    public async Task ALearnerWithoutARingGetsTcpEvenWhereRdmaIsAvailable()
    {
        using var fabric = new LoopbackVerbs();
        await using var harness = await StartAsync(fabric);
        var grant = await harness.Client().Unary(ReplayMethods.OpenDataPlane, Request(null, "rdma", "tcp"));
        Assert.AreEqual("tcp", grant.Transport);
    }

    [TestMethod]
    public async Task ABadRingIsInvalidArgumentNamingTheField()
    {
        using var fabric = new LoopbackVerbs();
        await using var harness = await StartAsync(fabric);
        var client = harness.Client();
        var cases = new (string Field, Action<RdmaRing> Spoil)[]
        {
            ("rdma_ring.address", r => r.Address = 0),
            ("rdma_ring.address", r => r.Address = ulong.MaxValue - 10),
            ("rdma_ring.slot_count", r => r.SlotCount = 0),
            ("rdma_ring.slot_count", r => r.SlotCount = 1000),
            ("rdma_ring.slot_bytes", r => r.SlotBytes = 100),
            ("rdma_ring.slot_bytes", r => r.SlotBytes = uint.MaxValue),
            ("rdma_ring.queue_pair", r => r.QueuePair = null),
            ("rdma_ring.queue_pair.qp_num", r => r.QueuePair.QpNum = 0),
            ("rdma_ring.queue_pair.qp_num", r => r.QueuePair.QpNum = 1 << 24),
            ("rdma_ring.queue_pair.psn", r => r.QueuePair.Psn = 1 << 24),
            ("rdma_ring.queue_pair.lid", r => r.QueuePair.Lid = 1 << 16),
            ("rdma_ring.queue_pair.gid", r => r.QueuePair.Gid = ByteString.CopyFrom(new byte[5])),
            ("rdma_ring.queue_pair.mtu", r => r.QueuePair.Mtu = 9),
        };
        foreach (var (field, spoil) in cases)
        {
            var ring = GoodRing();
            spoil(ring);
            await ReplayServiceTests.AssertStatus(StatusCode.InvalidArgument, field, client.Unary(ReplayMethods.OpenDataPlane, Request(ring, "rdma", "tcp")));
        }
        Assert.AreEqual(0, fabric.QueuePairs, "no queue pair was created for a refused ring");
        Assert.AreEqual(0, fabric.Regions);
    }

    [TestMethod]
    public async Task ALearnerThatNeverConnectsCostsTheServerNothingAfterAProbe()
    {
        using var fabric = new LoopbackVerbs();
        await using var harness = await StartAsync(fabric);
        var grant = await harness.Client().Unary(ReplayMethods.OpenDataPlane, Request(GoodRing(), "rdma", "tcp"));
        Assert.AreEqual("rdma", grant.Transport);
        Assert.AreNotEqual(0u, grant.RdmaQueuePair.QpNum);
        Assert.AreEqual(16, grant.RdmaQueuePair.Gid.Length);
        // The learner's queue pair does not exist: the idle session's probe finds nobody and the session ends.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (harness.Rdma!.RunningSessions > 0 || fabric.QueuePairs > 0 || fabric.Regions > 0)
            await Task.Delay(10, timeout.Token);
    }
}
