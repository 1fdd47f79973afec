using Gear.Protocol.Rdma;
using Gear.Protocol.Rdma.Loopback;
using Gear.Protocol.Rdma.Native;

namespace Gear.Protocol.Tests.Rdma;

/// <summary>
/// A server-side ring writer and a learner-side ring reader connected over the loopback device, each with its
/// own device context, queue pair and registered memory, set up in the order the data plane uses: the
/// learner initializes and posts its receives, the server connects and posts its credit receives, the
/// learner connects and grants its slots.
/// </summary>
internal sealed class LoopbackRing : IDisposable
{
    public LoopbackRing(int slots, int slotBytes, IbvLinkLayer linkLayer = IbvLinkLayer.InfiniBand, TimeSpan? probeInterval = null, Func<RdmaRing, RdmaRing>? tamper = null)
    {
        var probe = probeInterval ?? TimeSpan.FromSeconds(30);
        Fabric = new LoopbackVerbs(linkLayer);
        LearnerDevice = RdmaDevice.TryOpen(Fabric, out _)!;
        ServerDevice = RdmaDevice.TryOpen(Fabric, out _)!;
        LearnerQp = new RdmaQueuePair(LearnerDevice, RdmaRingReader.SendDepth(slots), RdmaRingReader.ReceiveDepth(slots));
        LearnerQp.Initialize();
        Slots = new RdmaMemory(LearnerDevice, (long)slots * slotBytes, remoteWritable: true);
        Reader = new RdmaRingReader(LearnerQp, Slots, slotBytes, slots, probe);
        ServerQp = new RdmaQueuePair(ServerDevice, RdmaRingWriter.SendDepth(slots), RdmaRingWriter.ReceiveDepth(slots));
        ServerQp.Connect(LearnerQp.Local);
        Staging = new RdmaMemory(ServerDevice, (long)slots * slotBytes, remoteWritable: false);
        Writer = new RdmaRingWriter(ServerQp, Staging, tamper is null ? Reader.Ring : tamper(Reader.Ring), probe);
        LearnerQp.Connect(ServerQp.Local);
        Reader.Start();
    }

    public LoopbackVerbs Fabric { get; }
    public RdmaDevice LearnerDevice { get; }
    public RdmaDevice ServerDevice { get; }
    public RdmaQueuePair LearnerQp { get; }
    public RdmaQueuePair ServerQp { get; }
    public RdmaMemory Slots { get; }
    public RdmaMemory Staging { get; }
    public RdmaRingReader Reader { get; }
    public RdmaRingWriter Writer { get; }

    /// <summary>Waits for a credit and writes <paramref name="frame"/> as the next frame.</summary>
    public async Task WriteAsync(byte[] frame, CancellationToken cancellationToken = default)
    {
        await Writer.WaitForCreditAsync(cancellationToken);
        frame.CopyTo(Writer.NextSlot);
        Writer.Write(frame.Length);
    }

    /// <summary>Reads the next frame, copies it out and gives its slot back.</summary>
    public async Task<byte[]> ReadAsync(CancellationToken cancellationToken = default)
    {
        await Reader.NextAsync(cancellationToken);
        var frame = Reader.Current.ToArray();
        Reader.Release();
        return frame;
    }

    public void Dispose()
    {
        ServerQp.Dispose();
        LearnerQp.Dispose();
        Staging.Dispose();
        Slots.Dispose();
        ServerDevice.Dispose();
        LearnerDevice.Dispose();
        Fabric.Dispose();
    }
}
