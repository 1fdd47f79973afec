using Gear.Protocol.Rdma;
using Gear.Protocol.Rdma.Loopback;
using Gear.Protocol.Rdma.Native;

namespace Gear.Protocol.Tests.Rdma;

/// <summary>Devices and queue-pair transitions against the loopback device, and the real library where it is installed.</summary>
[TestClass]
public sealed class QueuePairStateTests
{
    [TestMethod]
    public void NoDeviceIsReportedAsSuch()
    {
        using var fabric = new LoopbackVerbs(deviceCount: 0);
        Assert.IsNull(RdmaDevice.TryOpen(fabric, out var reason));
        Assert.AreEqual("no RDMA device", reason);
    }

    [TestMethod]
    public void AnInactivePortIsNotUsable()
    {
        using var fabric = new LoopbackVerbs(portActive: false);
        Assert.IsNull(RdmaDevice.TryOpen(fabric, out var reason));
        StringAssert.Contains(reason, "not active");
    }

    [TestMethod]
    [DataRow(IbvLinkLayer.InfiniBand, "InfiniBand")]
    [DataRow(IbvLinkLayer.Ethernet, "RoCE")]
    public void TheDeviceSaysHowPeersAreAddressed(IbvLinkLayer linkLayer, string expected)
    {
        using var fabric = new LoopbackVerbs(linkLayer);
        using var device = RdmaDevice.TryOpen(fabric, out var reason)!;
        StringAssert.Contains(reason, expected);
        Assert.AreEqual(linkLayer == IbvLinkLayer.Ethernet, device.AddressedByGid);
    }

    [TestMethod]
    [DataRow(IbvLinkLayer.InfiniBand)]
    [DataRow(IbvLinkLayer.Ethernet)]
    public void AWrongAddressIsRefusedByModifyQp(IbvLinkLayer linkLayer)
    {
        using var fabric = new LoopbackVerbs(linkLayer);
        using var device = RdmaDevice.TryOpen(fabric, out _)!;
        using var qp = new RdmaQueuePair(device, 4, 4);
        // A LID nobody has on InfiniBand; a GID nobody has on RoCE.
        var wrong = qp.Local with { Lid = (ushort)(qp.Local.Lid + 1), Gid = new IbvGid { SubnetPrefix = 1, InterfaceId = 2 } };
        var error = Assert.ThrowsException<VerbsException>(() => qp.Connect(wrong));
        Assert.AreEqual("ibv_modify_qp", error.Call);
        Assert.AreEqual(IbvQpState.Init, qp.State, "RESET → INIT succeeded, INIT → RTR did not");
    }

    [TestMethod]
    public unsafe void PostingBeforeReadyToSendIsRefusedThroughTheOpsTable()
    {
        using var fabric = new LoopbackVerbs();
        using var device = RdmaDevice.TryOpen(fabric, out _)!;
        using var qp = new RdmaQueuePair(device, 4, 4);
        Assert.AreEqual("ibv_post_recv", Assert.ThrowsException<VerbsException>(() => qp.PostReceive(1)).Call, "RESET takes no receives");
        qp.Initialize();
        qp.PostReceive(1);
        Assert.AreEqual("ibv_post_send", Assert.ThrowsException<VerbsException>(() => qp.PostSendImmediate(1, 0, true)).Call, "INIT sends nothing");
    }

    [TestMethod]
    public void TheRingReleasesEveryQueuePairAndRegion()
    {
        var ring = new LoopbackRing(slots: 2, slotBytes: 64);
        Assert.AreEqual(2, ring.Fabric.QueuePairs);
        Assert.AreEqual(2, ring.Fabric.Regions);
        var fabric = ring.Fabric;
        ring.Dispose();
        Assert.AreEqual(0, fabric.QueuePairs);
        Assert.AreEqual(0, fabric.Regions);
    }

    [TestMethod]
    public void TheRealLibraryLoadsOrSaysWhyNot()
    {
        var verbs = LibibverbsVerbs.TryLoad(out var loadReason);
        if (verbs is null)
            Assert.Inconclusive(loadReason);
        using var device = RdmaDevice.TryOpen(verbs, out var reason);
        // Without InfiniBand in the kernel there is no device; on an RDMA machine the first active port opens.
        if (device is null)
            StringAssert.Contains(reason, "RDMA device");
        else
            StringAssert.StartsWith(reason, $"rdma device {device.Name}");
    }
}
