using Gear.Core.Compute;
using Gear.Core.Compute.Cpu;
using Gear.Core.Compute.Cuda;
using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Selection;
using Gear.Core.Storage;
using Gear.Core.Tables;

namespace Gear.Core.Tests.Compute.Cuda;

/// <summary>
/// Batches that stay in device memory (<see cref="DeviceBatch"/>) over the host emulation: the gather kernels write
/// the device outputs, poisoned first, byte-equal to the CPU gather, and nothing to the host buffers; a table on the
/// device samples into one with the same metadata as the same table on the CPU.
/// </summary>
[TestClass]
public sealed class EmulatedDeviceBatchTests
{
    private static readonly ColumnSpec[] Columns = DeviceBatchTables.Columns;

    /// <summary>
    /// Gathers into device memory, waited for in each call, or two queued before either is waited for on the
    /// emulation with its queue deferred (each must keep its own plan while the other is queued).
    /// </summary>
    [TestMethod]
    [DataRow(1, false)]
    [DataRow(2, false)]
    [DataRow(3, false)]
    [DataRow(1, true)]
    [DataRow(2, true)]
    public void GathersIntoDeviceMemoryEqualTheCpuGather(int seed, bool queued)
    {
        using var reference = new CpuBackend();
        var runtime = new EmulatedRuntime { Deferred = queued };
        using var candidate = new DeviceBackend(runtime);
        var result = BackendComparison.CompareGathers(reference, candidate, seed, deviceOutput: true, queued: queued);
        Assert.IsTrue(result.Passed, $"{result.Name}: {result.Detail}");
        Assert.IsTrue(runtime.Launches > 0, "no kernel ran");
    }

    [TestMethod]
    public unsafe void ATableOnTheDeviceSamplesIntoDeviceMemoryWhatTheCpuTableSamples()
    {
        using var cpuBackend = new CpuBackend();
        using var deviceBackend = new DeviceBackend(new EmulatedRuntime());
        using var onCpu = new Table(DeviceBatchTables.Spec("cpu", SelectorKind.Prioritized), cpuBackend);
        using var onDevice = new Table(DeviceBatchTables.Spec("device", SelectorKind.Prioritized), deviceBackend);
        var random = new Random(3);
        using var expected = new WindowBatch(Columns, 16, 10);
        using var actual = DeviceBatch.Create(deviceBackend, Columns, 16, 10);
        for (var round = 0; round < 6; round++)
        {
            TwinInserts.Insert(random, Columns, trajectories: 5, maxLength: 30, maxPriority: 5, onCpu, onDevice);
            var request = new SampleRequest(16, 10, WindowPlacement.Uniform, ImportanceExponent: 0.5);
            actual.Poison(0xCD);
            onCpu.Sample(request, new RandomStream((ulong)round), expected, TimeSpan.FromSeconds(10));
            onDevice.Sample(request, new RandomStream((ulong)round), actual.Windows, TimeSpan.FromSeconds(10));
            Assert.AreEqual(expected.Count, actual.Windows.Count);
            CollectionAssert.AreEqual(expected.Keys.ToArray(), actual.Windows.Keys.ToArray(), $"round {round}: keys");
            CollectionAssert.AreEqual(expected.StartSteps.ToArray(), actual.Windows.StartSteps.ToArray(), $"round {round}: starts");
            CollectionAssert.AreEqual(expected.Probabilities.ToArray(), actual.Windows.Probabilities.ToArray(), $"round {round}: probabilities");
            for (var w = 0; w < expected.Count; w++)
                Assert.AreEqual(expected.ImportanceWeights[w], actual.Windows.ImportanceWeights[w], 1e-13 * expected.ImportanceWeights[w]);
            for (var c = 0; c < Columns.Length; c++)
            {
                var copied = new byte[expected.Column(c).Length];
                actual.CopyColumnToHost(c, copied);
                Assert.IsTrue(expected.Column(c).SequenceEqual(copied), $"round {round}: column {Columns[c].Name} differs");
                // The emulated device's memory is host memory: the address a learner's kernels get holds the same bytes.
                Assert.IsTrue(expected.Column(c).SequenceEqual(new ReadOnlySpan<byte>((void*)actual.ColumnAddress(c), copied.Length)));
            }
            var mask = new bool[expected.Mask.Length];
            actual.CopyMaskToHost(mask);
            Assert.IsTrue(expected.Mask.SequenceEqual(mask), $"round {round}: mask differs");
        }
    }

    /// <summary>Warm gathers into device memory, waited for in the call or queued (<see cref="DeviceBatch.SampleQueuedAsync"/>'s path).</summary>
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void WarmGathersIntoDeviceMemoryAllocateNothing(bool queued)
    {
        using var backend = new DeviceBackend(new EmulatedRuntime());
        using var storage = new PagedStorage(Columns, pageSteps: 4, pageCount: 16, deviceTierBytes: 0);
        using var batch = DeviceBatch.Create(backend, Columns, 8, 6);
        var pageTable = new[] { 3, 9, 1 };
        for (var w = 0; w < 8; w++)
            batch.Windows.Sources[w] = new WindowSource(pageTable, 0, w - 2, 12);
        batch.Windows.Count = 8;
        void Gather()
        {
            if (!queued)
            {
                backend.Gather(storage, batch.Windows);
                return;
            }
            batch.QueueGather(storage);
            batch.WaitForGather();
        }

        Gather();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++)
            Gather();
        Assert.AreEqual(0, GC.GetAllocatedBytesForCurrentThread() - before, "bytes allocated by 20 warm gathers");
    }

    /// <summary>
    /// The fixed cost of a warm gather, into device memory and into mapped host memory: the plan's one copy, from
    /// pinned staging (so the driver neither stages it nor waits), one launch for every column and the mask, one wait.
    /// </summary>
    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void AWarmGatherIsOneCopyFromPinnedMemoryOneLaunchAndOneWait(bool intoDeviceMemory)
    {
        var runtime = new EmulatedRuntime();
        using var backend = new DeviceBackend(runtime);
        using var storage = new PagedStorage(Columns, pageSteps: 4, pageCount: 16, deviceTierBytes: 0);
        using var deviceBatch = intoDeviceMemory ? DeviceBatch.Create(backend, Columns, 8, 6) : null;
        using var hostBatch = intoDeviceMemory ? null : new WindowBatch(Columns, 8, 6);
        var batch = deviceBatch?.Windows ?? hostBatch!;
        var pageTable = new[] { 3, 9, 1 };
        for (var w = 0; w < 8; w++)
            batch.Sources[w] = new WindowSource(pageTable, 0, w - 2, 12);
        batch.Count = 8;
        backend.Gather(storage, batch); // warm: mappings, column tables, scratch
        var (copies, pageable, launches, waits) = (runtime.CopiesToDevice, runtime.PageableCopiesToDevice, runtime.Launches, runtime.Synchronizations);
        backend.Gather(storage, batch);
        Assert.AreEqual(1, runtime.CopiesToDevice - copies, "copies to the device");
        Assert.AreEqual(0, runtime.PageableCopiesToDevice - pageable, "copies from pageable memory");
        Assert.AreEqual(1, runtime.Launches - launches, "launches");
        Assert.AreEqual(1, runtime.Synchronizations - waits, "waits");
    }

    [TestMethod]
    public void ADeviceBatchNeedsItsOwnDeviceBackend()
    {
        using var cpu = new CpuBackend();
        Assert.ThrowsException<ArgumentException>(() => DeviceBatch.Create(cpu, Columns, 4, 2));
        using var device = new DeviceBackend(new EmulatedRuntime());
        using var other = new DeviceBackend(new EmulatedRuntime());
        using var batch = DeviceBatch.Create(device, Columns, 4, 2);
        using var storage = new PagedStorage(Columns, pageSteps: 4, pageCount: 4, deviceTierBytes: 0);
        batch.Windows.Sources[0] = new WindowSource([0], 0, 0, 2);
        batch.Windows.Count = 1;
        Assert.ThrowsException<InvalidOperationException>(() => cpu.Gather(storage, batch.Windows));
        Assert.ThrowsException<InvalidOperationException>(() => other.Gather(storage, batch.Windows));
        batch.Dispose();
        Assert.ThrowsException<ObjectDisposedException>(() => batch.ColumnAddress(0));
    }

    [TestMethod]
    public void ABatchWhoseBackendIsDisposedIsRefusedAsDisposed()
    {
        var device = new DeviceBackend(new EmulatedRuntime());
        using var other = new DeviceBackend(new EmulatedRuntime());
        using var batch = DeviceBatch.Create(device, Columns, 4, 2);
        using var storage = new PagedStorage(Columns, pageSteps: 4, pageCount: 4, deviceTierBytes: 0);
        batch.Windows.Sources[0] = new WindowSource([0], 0, 0, 2);
        batch.Windows.Count = 1;
        device.Dispose(); // frees the batch's device outputs with it
        Assert.ThrowsException<ObjectDisposedException>(() => other.Gather(storage, batch.Windows));
    }

    [TestMethod]
    public void ADeviceBatchHasNoHostColumnBuffersOrMask()
    {
        using var backend = new DeviceBackend(new EmulatedRuntime());
        using var batch = DeviceBatch.Create(backend, Columns, 4, 2);
        var refused = Assert.ThrowsException<InvalidOperationException>(() => batch.Windows.Column(0));
        StringAssert.Contains(refused.Message, "CopyColumnToHost");
        Assert.ThrowsException<InvalidOperationException>(() => batch.Windows.Column<float>(0));
        refused = Assert.ThrowsException<InvalidOperationException>(() => batch.Windows.Mask.Length);
        StringAssert.Contains(refused.Message, "CopyMaskToHost");
    }

    /// <summary>
    /// A table on another backend refuses a device batch before it chooses anything: no window counted, no item's
    /// count raised, and the next sample, into an output it can fill, draws exactly what it would have drawn anyway.
    /// </summary>
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task ATableOnAnotherBackendRefusesADeviceBatchBeforeChoosing(bool otherDevice)
    {
        using var batchBackend = new DeviceBackend(new EmulatedRuntime());
        using IComputeBackend tableBackend = otherDevice ? new DeviceBackend(new EmulatedRuntime()) : new CpuBackend();
        using var table = new Table(DeviceBatchTables.Spec("other", SelectorKind.Uniform), tableBackend);
        using var twinBackend = new CpuBackend();
        using var twin = new Table(DeviceBatchTables.Spec("twin", SelectorKind.Uniform), twinBackend);
        TwinInserts.Insert(new Random(5), Columns, trajectories: 6, maxLength: 20, maxPriority: 3, table, twin);
        using var deviceBatch = DeviceBatch.Create(batchBackend, Columns, 8, 4);
        var request = new SampleRequest(8, 4, WindowPlacement.Uniform);
        var random = new RandomStream(9);

        Assert.ThrowsException<InvalidOperationException>(() => table.Sample(request, random, deviceBatch.Windows, TimeSpan.FromSeconds(5)));
        await Assert.ThrowsExceptionAsync<InvalidOperationException>(() => deviceBatch.SampleQueuedAsync(table, request, random, TimeSpan.FromSeconds(5)).AsTask());
        Assert.AreEqual(0, table.GetInfo().WindowsSampled, "windows counted by refused samples");
        Assert.IsNull(deviceBatch.Windows.HeldBy, "a refused queued sample holds pages");

        using var expected = new WindowBatch(Columns, 8, 4);
        using var actual = new WindowBatch(Columns, 8, 4);
        twin.Sample(request, new RandomStream(9), expected, TimeSpan.FromSeconds(5));
        table.Sample(request, random, actual, TimeSpan.FromSeconds(5));
        CollectionAssert.AreEqual(expected.Keys.ToArray(), actual.Keys.ToArray(), "the refusals drew randoms or changed the table");
        Assert.IsTrue(expected.Column(0).SequenceEqual(actual.Column(0)));
    }
}
