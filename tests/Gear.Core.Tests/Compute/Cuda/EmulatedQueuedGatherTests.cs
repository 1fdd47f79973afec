using Gear.Core.Compute.Cpu;
using Gear.Core.Compute.Cuda;
using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Selection;
using Gear.Core.Storage;
using Gear.Core.Tables;

namespace Gear.Core.Tests.Compute.Cuda;

/// <summary>
/// Queued samples into device memory (<see cref="DeviceBatch.SampleQueuedAsync"/>) over the host emulation with its
/// queue deferred (<see cref="EmulatedRuntime.Deferred"/>), so that queued copies and launches run only when waited
/// for, as on a GPU: the table must keep the pages a queued gather reads until then. (Two queued gathers against the
/// CPU gather: EmulatedDeviceBatchTests.GathersIntoDeviceMemoryEqualTheCpuGather.)
/// </summary>
[TestClass]
public sealed class EmulatedQueuedGatherTests
{
    private static readonly ColumnSpec[] Columns = DeviceBatchTables.Columns;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [TestMethod]
    public async Task AQueuedSampleHoldsItsPagesUntilItIsWaitedFor()
    {
        using var twins = new TwinTables(insertSeed: 5);
        var (runtime, deviceBackend, onCpu, onDevice) = twins;
        var request = new SampleRequest(16, 10, WindowPlacement.Uniform);
        using var expected = new WindowBatch(Columns, 16, 10);
        using var actual = DeviceBatch.Create(deviceBackend, Columns, 16, 10);
        actual.Poison(0xCD);

        await onCpu.SampleAsync(request, new RandomStream(9), expected, Timeout);
        await actual.SampleQueuedAsync(onDevice, request, new RandomStream(9), Timeout);
        Assert.IsTrue(runtime.Outstanding > 0, "the gather ran before it was waited for: the test would prove nothing");
        // Enough new trajectories to evict every sampled one: without the hold their pages would be rewritten
        // before the queued gather reads them.
        TwinInserts.Insert(new Random(55), Columns, trajectories: 60, maxLength: 30, maxPriority: 5, onDevice);
        Assert.IsTrue(runtime.Outstanding > 0, "the inserts ran the queued gather");

        actual.WaitForSample();
        AssertSameWindows(expected, actual);
        Assert.IsNull(actual.Windows.HeldBy, "the hold outlived the wait");
    }

    [TestMethod]
    public async Task DroppingTheTableRunsItsQueuedGatherBeforeThePagesGo()
    {
        using var twins = new TwinTables(insertSeed: 11);
        var (runtime, deviceBackend, onCpu, onDevice) = twins;
        var request = new SampleRequest(16, 10, WindowPlacement.Uniform);
        using var expected = new WindowBatch(Columns, 16, 10);
        using var actual = DeviceBatch.Create(deviceBackend, Columns, 16, 10);
        await onCpu.SampleAsync(request, new RandomStream(4), expected, Timeout);
        await actual.SampleQueuedAsync(onDevice, request, new RandomStream(4), Timeout);
        Assert.IsTrue(runtime.Outstanding > 0, "the gather ran before it was waited for: the test would prove nothing");

        onDevice.Dispose();
        Assert.AreEqual(0, runtime.Outstanding, "the table's pages were unmapped with a gather still queued to read them");
        actual.WaitForSample();
        AssertSameWindows(expected, actual);
    }

    [TestMethod]
    public async Task SamplingAgainWaitsForTheQueuedSampleAndReleasesIt()
    {
        using var twins = new TwinTables(insertSeed: 6);
        var (runtime, deviceBackend, onCpu, onDevice) = twins;
        var request = new SampleRequest(8, 6, WindowPlacement.EndAnchored);
        using var expected = new WindowBatch(Columns, 8, 6);
        using var actual = DeviceBatch.Create(deviceBackend, Columns, 8, 6);
        for (var round = 0UL; round < 3; round++)
        {
            await onCpu.SampleAsync(request, new RandomStream(round), expected, Timeout);
            await actual.SampleQueuedAsync(onDevice, request, new RandomStream(round), Timeout);
        }
        actual.WaitForSample();
        AssertSameWindows(expected, actual);
        actual.WaitForSample(); // nothing queued: nothing to do
        Assert.AreEqual(0, runtime.Outstanding);
    }

    [TestMethod]
    public async Task SelectingTheNextBatchLeavesTheGatherQueuedBeforeItQueued()
    {
        using var twins = new TwinTables(insertSeed: 12);
        var (runtime, deviceBackend, onCpu, onDevice) = twins;
        var request = new SampleRequest(16, 10, WindowPlacement.Uniform);
        using var expectedFirst = new WindowBatch(Columns, 16, 10);
        using var expectedSecond = new WindowBatch(Columns, 16, 10);
        using var first = DeviceBatch.Create(deviceBackend, Columns, 16, 10);
        using var second = DeviceBatch.Create(deviceBackend, Columns, 16, 10);
        await onCpu.SampleAsync(request, new RandomStream(21), expectedFirst, Timeout);
        await onCpu.SampleAsync(request, new RandomStream(22), expectedSecond, Timeout);

        await first.SampleQueuedAsync(onDevice, request, new RandomStream(21), Timeout);
        var queuedForFirst = runtime.Outstanding;
        Assert.IsTrue(queuedForFirst > 0, "the gather ran before it was waited for: the test would prove nothing");
        var launches = runtime.Launches;
        await second.SampleQueuedAsync(onDevice, request, new RandomStream(22), Timeout);
        // Its picks and importance weights are kernels too, besides its gather.
        Assert.IsTrue(runtime.Launches > launches + 1, "the second sample selected nothing on the device: the test would prove nothing");
        Assert.IsTrue(runtime.Outstanding > queuedForFirst, "selecting the second batch waited for the gather queued for the first");

        first.WaitForSample();
        AssertSameWindows(expectedFirst, first);
        second.WaitForSample();
        AssertSameWindows(expectedSecond, second);
    }

    [TestMethod]
    public async Task ATableOnAnotherBackendCannotQueueIntoTheBatchAndHoldsNothing()
    {
        using var cpuBackend = new CpuBackend();
        using var deviceBackend = new DeviceBackend(new EmulatedRuntime { Deferred = true });
        using var onCpu = new Table(DeviceBatchTables.Spec("cpu", SelectorKind.Uniform), cpuBackend);
        TwinInserts.Insert(new Random(7), Columns, trajectories: 4, maxLength: 30, maxPriority: 5, onCpu);
        using var batch = DeviceBatch.Create(deviceBackend, Columns, 4, 3);
        var error = await Assert.ThrowsExceptionAsync<InvalidOperationException>(
            async () => await batch.SampleQueuedAsync(onCpu, new SampleRequest(4, 3, WindowPlacement.Uniform), new RandomStream(1), Timeout));
        StringAssert.Contains(error.Message, "cpu");
        Assert.IsNull(batch.Windows.HeldBy, "the failed queue left the table's hold in place");
        // The batch is still usable: a plain sample from the CPU table is refused as before, not stuck on a hold.
        Assert.ThrowsException<InvalidOperationException>(() => onCpu.Sample(new SampleRequest(4, 3, WindowPlacement.Uniform), new RandomStream(1), batch.Windows, Timeout));
    }

    [TestMethod]
    public void LearnersOnTwoThreadsQueueAndWaitOnOneBackend()
    {
        using var reference = new CpuBackend();
        using var backend = new DeviceBackend(new EmulatedRuntime { Deferred = true });
        using var storage = new PagedStorage(Columns, pageSteps: 4, pageCount: 32, deviceTierBytes: 0);
        new Random(8).NextBytes(StorageBytes(storage, 0));
        new Random(9).NextBytes(StorageBytes(storage, 1));
        new Random(10).NextBytes(StorageBytes(storage, 2));

        void Learner(int seed)
        {
            var random = new Random(seed);
            using var expected = new WindowBatch(Columns, 8, 6);
            using var batch = DeviceBatch.Create(backend, Columns, 8, 6);
            for (var round = 0; round < 100; round++)
            {
                var pages = Enumerable.Range(0, 3).Select(_ => random.Next(32)).ToArray();
                for (var w = 0; w < 8; w++)
                    expected.Sources[w] = batch.Windows.Sources[w] = new WindowSource(pages, 0, random.Next(-6, 12), 12);
                expected.Count = batch.Windows.Count = 8;
                reference.Gather(storage, expected);
                batch.QueueGather(storage);
                batch.WaitForGather();
                for (var c = 0; c < Columns.Length; c++)
                {
                    var copied = new byte[expected.Column(c).Length];
                    batch.CopyColumnToHost(c, copied);
                    Assert.IsTrue(expected.Column(c).SequenceEqual(copied), $"learner {seed}, round {round}: column {Columns[c].Name} differs");
                }
            }
        }

        Task.WaitAll(Task.Run(() => Learner(1)), Task.Run(() => Learner(2)));
    }

    private static unsafe Span<byte> StorageBytes(PagedStorage storage, int column) =>
        new(storage.PoolBase(column), checked((int)(storage.PageBytes(column) * storage.PageCount)));

    [TestMethod]
    public void AGatherCannotBeQueuedTwiceWithoutAWait()
    {
        using var backend = new DeviceBackend(new EmulatedRuntime { Deferred = true });
        using var storage = new PagedStorage(Columns, pageSteps: 4, pageCount: 4, deviceTierBytes: 0);
        using var batch = DeviceBatch.Create(backend, Columns, 2, 2);
        batch.Windows.Sources[0] = batch.Windows.Sources[1] = new WindowSource([0], 0, 0, 2);
        batch.Windows.Count = 2;
        batch.QueueGather(storage);
        Assert.ThrowsException<InvalidOperationException>(() => batch.QueueGather(storage));
        batch.WaitForGather();
        batch.QueueGather(storage);
    }

    private static unsafe void AssertSameWindows(WindowBatch expected, DeviceBatch actual)
    {
        Assert.AreEqual(expected.Count, actual.Windows.Count);
        CollectionAssert.AreEqual(expected.Keys.ToArray(), actual.Windows.Keys.ToArray(), "keys");
        for (var c = 0; c < Columns.Length; c++)
        {
            // First as a learner's kernel would read it right after the wait, before a copy back waits for everything.
            var onDevice = new ReadOnlySpan<byte>((void*)actual.ColumnAddress(c), expected.Column(c).Length);
            Assert.IsTrue(expected.Column(c).SequenceEqual(onDevice), $"column {Columns[c].Name} differs on the device when the wait returned");
            var copied = new byte[expected.Column(c).Length];
            actual.CopyColumnToHost(c, copied);
            Assert.IsTrue(expected.Column(c).SequenceEqual(copied), $"column {Columns[c].Name} differs");
        }
        var mask = new bool[expected.Mask.Length];
        actual.CopyMaskToHost(mask);
        Assert.IsTrue(expected.Mask.SequenceEqual(mask), "mask differs");
    }

    /// <summary>
    /// The same table on the CPU and on the deferred emulation, both given the same 12 random trajectories. Uniform over
    /// trajectory items: inserts touch nothing on the device, so a queued gather stays queued across them.
    /// </summary>
    private sealed class TwinTables : IDisposable
    {
        private readonly CpuBackend _cpuBackend = new();

        public TwinTables(int insertSeed)
        {
            DeviceBackend = new DeviceBackend(Runtime);
            OnCpu = new Table(DeviceBatchTables.Spec("cpu", SelectorKind.Uniform), _cpuBackend);
            OnDevice = new Table(DeviceBatchTables.Spec("device", SelectorKind.Uniform), DeviceBackend);
            TwinInserts.Insert(new Random(insertSeed), Columns, trajectories: 12, maxLength: 30, maxPriority: 5, OnCpu, OnDevice);
        }

        public EmulatedRuntime Runtime { get; } = new() { Deferred = true };

        public DeviceBackend DeviceBackend { get; }

        public Table OnCpu { get; }

        public Table OnDevice { get; }

        public void Deconstruct(out EmulatedRuntime runtime, out DeviceBackend deviceBackend, out Table onCpu, out Table onDevice) =>
            (runtime, deviceBackend, onCpu, onDevice) = (Runtime, DeviceBackend, OnCpu, OnDevice);

        public void Dispose()
        {
            OnDevice.Dispose();
            OnCpu.Dispose();
            DeviceBackend.Dispose();
            _cpuBackend.Dispose();
        }
    }
}
