using System.Buffers;
using Gear.Core.Compute.Cpu;
using Gear.Core.Sampling;
using Gear.Core.Tables;
using Gear.Server.Service;
using Google.Protobuf;

namespace Gear.Server.Tests.Service;

[TestClass]
public sealed class SampleReplyEncoderTests
{
    [TestMethod]
    public void RepliesAreProtobufsBytesAndCostNoAllocationOnceWarm()
    {
        using var backend = new CpuBackend();
        using var table = new Table(TableSpecMapping.ToCore(TableSpecMappingTests.MinimalSpec()), backend);
        var obs = Enumerable.Range(0, 5 * 12).Select(i => (byte)i).ToArray();
        var done = new byte[] { 0, 0, 0, 0, 1 };
        for (var t = 0; t < 4; t++)
        {
            var key = table.OpenTrajectory();
            table.Append(key, 5, [obs, done]);
            table.Close(key, 1.0 + t);
        }
        using var buffer = new GatherBuffer(table.Spec.Columns, 6, 8); // windows longer than the trajectories: padding
        table.Sample(new SampleRequest(6, 8, WindowPlacement.EndAnchored, 0.4, PaddingSide.Head), new RandomStream(5), buffer.Batch, Timeout.InfiniteTimeSpan);
        var encoder = new SampleReplyEncoder();
        var output = new ArrayBufferWriter<byte>(1 << 16);

        void Encode(ulong sequence)
        {
            output.ResetWrittenCount();
            encoder.Reset(buffer, sequence);
            encoder.WriteTo(output);
        }

        Encode(7);
        var expected = SampleMapping.ToWire(buffer);
        expected.Sequence = 7;
        CollectionAssert.AreEqual(expected.ToByteArray(), output.WrittenSpan.ToArray());
        Assert.AreEqual(output.WrittenCount, encoder.Size);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
            Encode((ulong)i);
        Assert.AreEqual(0, GC.GetAllocatedBytesForCurrentThread() - before, "bytes allocated by 100 encoded replies");
    }
}
