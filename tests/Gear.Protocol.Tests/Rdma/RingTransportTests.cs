using Gear.Protocol.Rdma;
using Gear.Protocol.Rdma.Loopback;
using Gear.Protocol.Rdma.Native;

namespace Gear.Protocol.Tests.Rdma;

/// <summary>The ring protocol (writes with immediate data, credits, probes) end to end over the loopback device.</summary>
[TestClass]
public sealed class RingTransportTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static byte[] Frame(Random random, int length)
    {
        var frame = new byte[length];
        random.NextBytes(frame);
        return frame;
    }

    [TestMethod]
    [DataRow(IbvLinkLayer.InfiniBand)]
    [DataRow(IbvLinkLayer.Ethernet)]
    public async Task FramesArriveInOrderAndByteEqualAcrossManyTurnsOfTheRing(IbvLinkLayer linkLayer)
    {
        using var ring = new LoopbackRing(slots: 3, slotBytes: 4096, linkLayer);
        using var timeout = new CancellationTokenSource(Patience);
        var random = new Random(7);
        for (var i = 0; i < 20; i++)
        {
            var sent = Frame(random, random.Next(1, 4097));
            await ring.WriteAsync(sent, timeout.Token);
            CollectionAssert.AreEqual(sent, await ring.ReadAsync(timeout.Token), $"frame {i}");
        }
        Assert.AreEqual(20ul, ring.Writer.Written);
        Assert.AreEqual(20ul, ring.Reader.Sequence);
    }

    [TestMethod]
    public async Task TheWriterWaitsForACreditBeforeReusingASlot()
    {
        using var ring = new LoopbackRing(slots: 2, slotBytes: 64);
        using var timeout = new CancellationTokenSource(Patience);
        var random = new Random(11);
        var first = Frame(random, 64);
        await ring.WriteAsync(first, timeout.Token);
        await ring.WriteAsync(Frame(random, 64), timeout.Token);
        Assert.AreEqual(0, ring.Writer.Credits);

        // Both slots are full and unread: a third frame must wait, and slot 0 must still hold the first frame.
        using (var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            try
            {
                await ring.Writer.WaitForCreditAsync(shortWait.Token);
                Assert.Fail("a credit appeared while both slots were unread");
            }
            catch (OperationCanceledException)
            {
                // Still waiting when the time ran out: as it should.
            }
        }
        await ring.Reader.NextAsync(timeout.Token);
        CollectionAssert.AreEqual(first, ring.Reader.Current.ToArray());

        ring.Reader.Release();
        var third = Frame(random, 32);
        await ring.WriteAsync(third, timeout.Token);
        Assert.AreEqual(0, ring.Writer.Credits);
        await ring.ReadAsync(timeout.Token);
        CollectionAssert.AreEqual(third, await ring.ReadAsync(timeout.Token));
        CollectionAssert.AreEqual(third, ring.Slots.Slice(0, 32).ToArray(), "the third frame landed in slot 0 once the first was given back");
    }

    [TestMethod]
    public async Task ACreditForASlotTheLearnerDoesNotHoldEndsTheSession()
    {
        using var ring = new LoopbackRing(slots: 2, slotBytes: 64);
        using var timeout = new CancellationTokenSource(Patience);
        await ring.WriteAsync(new byte[8], timeout.Token);
        // The learner holds one frame, so the server holds one credit; two more would cover a slot never written.
        ring.LearnerQp.PostSendImmediate(0, SlotImmediate.ToWire(2), signaled: false);
        var error = await Assert.ThrowsExceptionAsync<RdmaCompletionException>(async () => await ring.Writer.WaitForCreditAsync(timeout.Token));
        StringAssert.Contains(error.Message, "credits");
    }

    [TestMethod]
    public async Task AWrongRemoteKeyIsARemoteAccessErrorOnBothSides()
    {
        using var ring = new LoopbackRing(slots: 2, slotBytes: 64, tamper: r => r with { RemoteKey = r.RemoteKey + 100 });
        using var timeout = new CancellationTokenSource(Patience);
        await ring.WriteAsync(new byte[16], timeout.Token);
        var writer = await Assert.ThrowsExceptionAsync<RdmaCompletionException>(async () => await ring.WriteAsync(new byte[16], timeout.Token));
        Assert.AreEqual(IbvWcStatus.RemoteAccessError, writer.Status);
        StringAssert.Contains(writer.Message, "remote access error");
        var reader = await Assert.ThrowsExceptionAsync<RdmaCompletionException>(async () => await ring.Reader.NextAsync(timeout.Token));
        Assert.AreEqual(IbvWcStatus.WorkRequestFlushed, reader.Status, "the learner's queue pair went to the error state and flushed its receives");
    }

    [TestMethod]
    public async Task AnInjectedRetryExceededFailsTheWrite()
    {
        using var ring = new LoopbackRing(slots: 2, slotBytes: 64);
        using var timeout = new CancellationTokenSource(Patience);
        ring.Fabric.FailNextSend(IbvWcStatus.RetryExceeded);
        await ring.WriteAsync(new byte[16], timeout.Token);
        var error = await Assert.ThrowsExceptionAsync<RdmaCompletionException>(async () => await ring.WriteAsync(new byte[16], timeout.Token));
        Assert.AreEqual(IbvWcStatus.RetryExceeded, error.Status);
        StringAssert.Contains(error.Message, "does not answer");
    }

    [TestMethod]
    public async Task AnIdleWriterFindsOutThatTheLearnerVanished()
    {
        using var ring = new LoopbackRing(slots: 1, slotBytes: 64, probeInterval: TimeSpan.FromMilliseconds(20));
        using var timeout = new CancellationTokenSource(Patience);
        await ring.WriteAsync(new byte[16], timeout.Token);
        ring.Fabric.Vanish(ring.LearnerQp.Local.QueuePairNumber);
        // No credit will come: only the liveness probe can tell the learner is gone.
        var error = await Assert.ThrowsExceptionAsync<RdmaCompletionException>(async () => await ring.Writer.WaitForCreditAsync(timeout.Token));
        Assert.AreEqual(IbvWcStatus.RetryExceeded, error.Status);
        StringAssert.Contains(error.Message, "probe");
    }

    [TestMethod]
    public async Task AnIdleReaderFindsOutThatTheServerVanished()
    {
        using var ring = new LoopbackRing(slots: 2, slotBytes: 64, probeInterval: TimeSpan.FromMilliseconds(20));
        using var timeout = new CancellationTokenSource(Patience);
        ring.Fabric.Vanish(ring.ServerQp.Local.QueuePairNumber);
        var error = await Assert.ThrowsExceptionAsync<RdmaCompletionException>(async () => await ring.Reader.NextAsync(timeout.Token));
        Assert.AreEqual(IbvWcStatus.RetryExceeded, error.Status);
        StringAssert.Contains(error.Message, "server");
    }

    [TestMethod]
    public async Task AFrameInTheWrongSlotOrOutOfSequenceIsRefused()
    {
        using var ring = new LoopbackRing(slots: 2, slotBytes: 64);
        using var timeout = new CancellationTokenSource(Patience);
        await ring.WriteAsync(new byte[8], timeout.Token);
        await ring.ReadAsync(timeout.Token);
        // Frame 1 belongs in slot 1: a peer that writes it into slot 0 (or calls it frame 5) breaks the ring.
        unsafe
        {
            ring.ServerQp.PostWrite(7, ring.Staging, ring.Staging.Pointer, 8, ring.Reader.Ring.SlotAddress(0), ring.Reader.Ring.RemoteKey,
                SlotImmediate.Encode(1, 0), signaled: false);
        }
        var error = await Assert.ThrowsExceptionAsync<RdmaCompletionException>(async () => await ring.Reader.NextAsync(timeout.Token));
        StringAssert.Contains(error.Message, "where frame 1 in slot 1 was expected");
    }

    [TestMethod]
    public void TheImmediateCarriesSequenceAndSlotInNetworkOrder()
    {
        var wire = SlotImmediate.Encode(0x1_2345, 7);
        Assert.AreEqual((ushort)0x2345, SlotImmediate.Decode(wire).Sequence);
        Assert.AreEqual(7, SlotImmediate.Decode(wire).Slot);
        Assert.AreEqual(0x23450007u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(BitConverter.GetBytes(wire)));
    }
}
