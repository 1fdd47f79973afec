using System.Buffers;
using Gear.Core.Compute.Cpu;
using Gear.Core.RateLimiting;
using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Tables;
using Gear.Server.Service;
using Google.Protobuf;

namespace Gear.Server.Tests.Service;

/// <summary>
/// SampleStream replies are encoded from a held batch, straight from the table's pages: the bytes must be
/// protobuf's for the same windows gathered, whatever the windows do (cross pages, cross pages that are not
/// neighbours, get padded at the head or the tail), and a warm encoder allocates nothing.
/// </summary>
[TestClass]
public sealed class SampleReplyEncoderTests
{
    private const int Windows = 12;

    [TestMethod]
    [DataRow(WindowPlacement.Uniform, PaddingSide.Tail, 6, DisplayName = "uniform windows of 6 steps across pages")]
    [DataRow(WindowPlacement.Uniform, PaddingSide.Tail, 24, DisplayName = "uniform windows longer than some trajectories, tail padding")]
    [DataRow(WindowPlacement.EndAnchored, PaddingSide.Head, 24, DisplayName = "end-anchored windows, head padding")]
    [DataRow(WindowPlacement.StartAnchored, PaddingSide.Tail, 24, DisplayName = "start-anchored windows, tail padding")]
    [DataRow(WindowPlacement.Uniform, PaddingSide.Tail, 1, DisplayName = "transitions")]
    public void AHeldReplyIsProtobufsBytesForTheGatheredWindows(WindowPlacement placement, PaddingSide padding, int windowLength)
    {
        using var setup = new Setup();
        var request = new SampleRequest(Windows, windowLength, placement, 0.4, padding);
        using var gathered = new GatherBuffer(setup.Table.Spec.Columns, Windows, windowLength);
        using var held = new GatherBuffer(setup.Table.Spec.Columns, Windows, windowLength);
        setup.Table.Sample(request, new RandomStream(11), gathered.Batch, Timeout.InfiniteTimeSpan);
        setup.Table.SampleHeldAsync(request, new RandomStream(11), held.Batch, Timeout.InfiniteTimeSpan).AsTask().Wait();
        var encoder = new SampleReplyEncoder();
        var output = new ArrayBufferWriter<byte>();

        encoder.Reset(setup.Table, held, 7);
        encoder.WriteTo(output);
        setup.Table.ReleaseHeld(held.Batch);

        var expected = SampleMapping.ToWire(gathered);
        expected.Sequence = 7;
        CollectionAssert.AreEqual(expected.ToByteArray(), output.WrittenSpan.ToArray());
        Assert.AreEqual(output.WrittenCount, encoder.Size);
    }

    [TestMethod]
    public void SamplingEncodingAndReleasingAHeldReplyAllocatesNothingOnceWarm()
    {
        using var setup = new Setup();
        var request = new SampleRequest(Windows, 24, WindowPlacement.Uniform, 0.4);
        var random = new RandomStream(3);
        using var held = new GatherBuffer(setup.Table.Spec.Columns, Windows, 24);
        var encoder = new SampleReplyEncoder();
        var output = new ArrayBufferWriter<byte>(1 << 20);

        void Reply(ulong sequence)
        {
            var sampling = setup.Table.SampleHeldAsync(request, random, held.Batch, Timeout.InfiniteTimeSpan);
            Assert.IsTrue(sampling.IsCompletedSuccessfully, "a MinSize(1) table with items samples at once");
            output.ResetWrittenCount();
            encoder.Reset(setup.Table, held, sequence);
            encoder.WriteTo(output);
            setup.Table.ReleaseHeld(held.Batch);
        }

        Reply(0);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 1; i <= 100; i++)
            Reply((ulong)i);
        Assert.AreEqual(0, GC.GetAllocatedBytesForCurrentThread() - before, "bytes allocated by 100 held replies");
    }

    /// <summary>
    /// A table of two columns with pages of 4 steps, holding trajectories of 3 to 38 steps written two at a time
    /// step by step, so that their pages interleave (a window's runs are not neighbours in the pool).
    /// </summary>
    private sealed class Setup : IDisposable
    {
        private readonly CpuBackend _backend = new();

        public Setup()
        {
            var columns = new[] { new ColumnSpec("obs", DType.F32, [5]), new ColumnSpec("done", DType.Bool) };
            Table = new Table(new TableSpec
            {
                Name = "t",
                Columns = columns,
                PageSteps = 4,
                HostCapacityBytes = 1 << 20,
                MaxTrajectories = 32,
                RateLimiter = RateLimiterSpec.MinSize(1),
            }, _backend);
            var random = new Random(5);
            var obs = new byte[20];
            var done = new byte[1];
            for (var pair = 0; pair < 6; pair++)
            {
                ulong a = Table.OpenTrajectory(), b = Table.OpenTrajectory();
                for (var s = 0; s < 3 + 7 * pair; s++)
                {
                    foreach (var key in new[] { a, b })
                    {
                        random.NextBytes(obs);
                        done[0] = (byte)(s % 2);
                        Table.AppendStep(key, [obs, done]);
                    }
                }
                Table.Close(a, 1.0 + pair);
                Table.Close(b, 2.0 + pair);
            }
        }

        public Table Table { get; }

        public void Dispose()
        {
            Table.Dispose();
            _backend.Dispose();
        }
    }
}
