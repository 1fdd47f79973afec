using Gear.Core.Compute;
using Gear.Core.Compute.Cpu;
using Gear.Core.Compute.Cuda;
using Gear.Core.RateLimiting;
using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Selection;
using Gear.Core.Storage;
using Gear.Core.Tables;

namespace Gear.Core.Tests.Compute.Cuda;

/// <summary>
/// The device backend's logic without a GPU: the real DeviceBackend (planning, argument packing, page-address
/// tables, sum-tree phases, selection kernels) over the host emulation of the same kernel sources, against the
/// CPU backend on random inputs. Gathers byte-equal, selections index-equal and value-equal.
/// </summary>
[TestClass]
public sealed class EmulatedBackendTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void EveryComparisonWithTheCpuPasses(int seed)
    {
        var runtime = new EmulatedRuntime();
        using var candidate = new DeviceBackend(runtime);
        foreach (var result in BackendComparison.Run(candidate, seed))
            Assert.IsTrue(result.Passed, $"{result.Name}: {result.Detail}");
        Assert.IsTrue(runtime.Launches > 0, "no kernel ran");
    }

    /// <summary>A backend that cannot open its selection queue fails with the driver's error and lets its runtime go.</summary>
    [TestMethod]
    public void ABackendThatCannotOpenItsSelectionQueueDisposesItsRuntime()
    {
        var runtime = new EmulatedRuntime { FailToOpenQueue = true };
        var error = Assert.ThrowsException<CudaException>(() => new DeviceBackend(runtime));
        StringAssert.Contains(error.Message, "cuStreamCreate");
        Assert.IsTrue(runtime.Disposed, "the runtime (on a GPU, its retained context and streams) was left behind");
    }

    /// <summary>
    /// A warm prioritized round trip, as a learner's batch makes it: the stratified sample and the update of what
    /// was sampled each send their inputs in one copy from pinned memory and take their results back in one copy
    /// into pinned memory, then wait once. The same as the CPU tree's results, too.
    /// </summary>
    [TestMethod]
    public void ASampleAndAnUpdateOfTheDeviceTreeEachCopyOnceEachWayAndWaitOnce()
    {
        var runtime = new EmulatedRuntime();
        using var backend = new DeviceBackend(runtime);
        using var cpu = new CpuBackend();
        using var tree = backend.CreateSumTree(1000);
        using var expected = cpu.CreateSumTree(1000);
        var random = new Random(7);
        var all = Enumerable.Range(0, 1000).ToArray();
        var priorities = all.Select(_ => random.NextDouble() + 1e-3).ToArray();
        tree.SetBatch(all, priorities);
        expected.SetBatch(all, priorities);
        var uniforms = Enumerable.Range(0, 64).Select(_ => random.NextDouble()).ToArray();
        var (slots, values) = (new int[64], new double[64]);
        var (cpuSlots, cpuValues) = (new int[64], new double[64]);
        tree.SampleStratified(uniforms, slots, values); // warm: scratch and staging at this size

        foreach (var step in new[] { "sample", "update" })
        {
            var before = (runtime.CopiesToDevice, runtime.PageableCopiesToDevice, runtime.CopiesToHost, runtime.PageableCopiesToHost, runtime.Synchronizations);
            if (step == "sample")
            {
                tree.SampleStratified(uniforms, slots, values);
                expected.SampleStratified(uniforms, cpuSlots, cpuValues);
                CollectionAssert.AreEqual(cpuSlots, slots, "slots");
                CollectionAssert.AreEqual(cpuValues, values, "values");
            }
            else
            {
                var updated = values.Select(v => v * 0.5 + 0.25).ToArray();
                tree.SetBatch(slots, updated);
                expected.SetBatch(slots, updated);
                Assert.AreEqual(expected.Total, tree.Total, "total");
            }
            Assert.AreEqual(1, runtime.CopiesToDevice - before.CopiesToDevice, $"{step}: copies to the device");
            Assert.AreEqual(0, runtime.PageableCopiesToDevice - before.PageableCopiesToDevice, $"{step}: copies from pageable memory");
            Assert.AreEqual(1, runtime.CopiesToHost - before.CopiesToHost, $"{step}: copies to the host");
            Assert.AreEqual(0, runtime.PageableCopiesToHost - before.PageableCopiesToHost, $"{step}: copies into pageable memory");
            Assert.AreEqual(1, runtime.Synchronizations - before.Synchronizations, $"{step}: waits");
        }
    }

    /// <summary>
    /// Tables that select on the device (uniform and top-k samplers from device copies of their state, prioritized
    /// from the device sum tree, weights by kernel) through many inserts, evictions, deletes, priority updates,
    /// retirements and samples: every batch index-equal to the same table's on the CPU, weights within tolerance.
    /// Queued, into device memory, over the deferred emulation: two samples a round, the second selected on the
    /// selection queue while the first's gather waits on the gather queue.
    /// </summary>
    [TestMethod]
    [DataRow(1, false)]
    [DataRow(2, false)]
    [DataRow(3, false)]
    [DataRow(4, true)]
    [DataRow(5, true)]
    public void TablesSelectingOnTheDeviceSampleWhatTablesOnTheCpuSample(int seed, bool queued)
    {
        var runtime = new EmulatedRuntime { Deferred = queued };
        using var candidate = new DeviceBackend(runtime);
        var result = TableComparison.Compare(candidate, seed, queued);
        Assert.IsTrue(result.Passed, $"{result.Name}: {result.Detail}");
        Console.WriteLine(result.Detail);
        Assert.IsTrue(runtime.Launches > 0, "no kernel ran");
    }

    /// <summary>
    /// Whole tables, one on the CPU backend and one on the emulated device with a device tier, given the same
    /// inserts (some after sampling began, so the tier must follow them) and the same random streams: the same
    /// keys, starts, probabilities and bytes. This runs the device sum tree under the prioritized selector and
    /// the insert path's device-tier notifications.
    /// </summary>
    [TestMethod]
    public void ATableOnTheDeviceSamplesWhatTheSameTableOnTheCpuSamples()
    {
        ColumnSpec[] columns = [new("obs", DType.F32, 5), new("flag", DType.U8)];
        TableSpec Spec(string name) => new()
        {
            Name = name,
            Columns = columns,
            PageSteps = 8,
            HostCapacityBytes = 21L * 8 * 64,
            DeviceCapacityBytes = 21L * 8 * 20, // 20 of the 64 pages in the device tier
            MaxTrajectories = 64,
            Sampler = SelectorKind.Prioritized,
            PriorityExponent = 0.6,
            RateLimiter = RateLimiterSpec.MinSize(1),
        };
        using var cpuBackend = new CpuBackend();
        using var deviceBackend = new DeviceBackend(new EmulatedRuntime());
        using var onCpu = new Table(Spec("cpu"), cpuBackend);
        using var onDevice = new Table(Spec("device"), deviceBackend);
        var random = new Random(5);
        using var expected = new WindowBatch(columns, 32, 12);
        using var actual = new WindowBatch(columns, 32, 12);
        for (var round = 0; round < 4; round++)
        {
            TwinInserts.Insert(random, columns, trajectories: 6, maxLength: 40, maxPriority: 10, onCpu, onDevice);
            var request = new SampleRequest(32, 12, WindowPlacement.Uniform);
            onCpu.Sample(request, new RandomStream((ulong)round), expected, TimeSpan.FromSeconds(10));
            onDevice.Sample(request, new RandomStream((ulong)round), actual, TimeSpan.FromSeconds(10));
            Assert.AreEqual(expected.Count, actual.Count);
            CollectionAssert.AreEqual(expected.StartSteps.ToArray(), actual.StartSteps.ToArray(), $"round {round}: starts");
            CollectionAssert.AreEqual(expected.Probabilities.ToArray(), actual.Probabilities.ToArray(), $"round {round}: probabilities");
            for (var c = 0; c < columns.Length; c++)
                Assert.IsTrue(expected.Column(c).SequenceEqual(actual.Column(c)), $"round {round}: column {columns[c].Name} differs");
            Assert.IsTrue(expected.Mask.SequenceEqual(actual.Mask), $"round {round}: mask differs");
        }
    }

    /// <summary>
    /// Once warm, the device backend's gathers, sum-tree updates and samples, weights, and the device selectors'
    /// changes and selections (scatters of the changes included) allocate nothing on the managed heap.
    /// </summary>
    [TestMethod]
    public void WarmGathersAndSelectionsAllocateNothing()
    {
        ColumnSpec[] columns = [new("obs", DType.F32, 3), new("flag", DType.U8)];
        using var backend = new DeviceBackend(new EmulatedRuntime());
        using var storage = new PagedStorage(columns, pageSteps: 4, pageCount: 16, deviceTierBytes: 13 * 4 * 8);
        using var batch = new WindowBatch(columns, 8, 6);
        var pageTable = new[] { 3, 9, 1 };
        for (var w = 0; w < 8; w++)
            batch.Sources[w] = new WindowSource(pageTable, 0, w - 2, 12);
        batch.Count = 8;
        using var tree = backend.CreateSumTree(1000);
        IComputeBackend asBackend = backend;
        var uniform = (DeviceUniformSelector)asBackend.SamplingSelector(new UniformSelector(1000));
        var topK = (DeviceTopKSelector)asBackend.SamplingSelector(new TopKSelector(1000));
        uniform.InsertRun(0, new double[300]);
        var runPriorities = new double[70];
        for (var s = 0; s < 300; s++)
            topK.Insert(s, s % 7);
        int[] slots = [5, 17, 5, 999];
        double[] values = [1.0, 2.0, 3.0, 4.0];
        double[] uniforms = [0.1, 0.5, 0.7, 0.9];
        var chosen = new int[4];
        var chosenValues = new double[4];
        double[] probabilities = [0.5, 0.25, 0.125, 0.125];

        void Round()
        {
            storage.NotifyWritten(0, 1, 0, 2);
            backend.Gather(storage, batch);
            tree.SetBatch(slots, values);
            tree.SampleStratified(uniforms, chosen, chosenValues);
            asBackend.ImportanceWeights(probabilities, 10, 0.4, chosenValues);
            uniform.RemoveRun(17, 70); // changes to send before each selection: a scatter each
            uniform.InsertRun(17, runPriorities);
            uniform.Select(uniforms, chosen, chosenValues);
            topK.Update(5, 6.0);
            topK.Remove(9);
            topK.Insert(9, 3.0);
            topK.Select(uniforms, chosen, chosenValues);
        }

        Round(); // warm: mappings, scratch, the device selectors' first (whole) copies
        Round();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++)
            Round();
        Assert.AreEqual(0, GC.GetAllocatedBytesForCurrentThread() - before, "bytes allocated by 20 warm rounds");
        uniform.Dispose();
        topK.Dispose();
    }

    /// <summary>The comparison itself can fail: one wrong byte in a whole run of gathers is caught.</summary>
    [TestMethod]
    public void AGatherWithOneWrongByteIsCaught()
    {
        using var reference = new CpuBackend();
        using var candidate = new DeviceBackend(new EmulatedRuntime());
        using var broken = new FlipsLastByte(candidate);
        var result = BackendComparison.CompareGathers(reference, broken, seed: 1);
        Assert.IsFalse(result.Passed, "a gather with a wrong byte passed the comparison");
    }

    [TestMethod]
    public void ARefusedBatchChangesNothingOnTheDevice()
    {
        using var backend = new DeviceBackend(new EmulatedRuntime());
        using var tree = backend.CreateSumTree(16);
        tree.SetBatch([1, 2], [1.0, 2.0]);
        Assert.ThrowsException<Gear.Core.Errors.GearException>(() => tree.SetBatch([3, 4], [1.0, double.NaN]));
        Assert.AreEqual(3.0, tree.Total);
        Assert.AreEqual(0.0, tree.Get(3));
    }

    /// <summary>Wraps a backend and inverts the last byte of the first column after each gather.</summary>
    private sealed class FlipsLastByte(IComputeBackend inner) : IComputeBackend
    {
        public string Name => inner.Name;

        public IPrioritySumTree CreateSumTree(int capacity) => inner.CreateSumTree(capacity);

        public void Gather(PagedStorage storage, WindowBatch output)
        {
            inner.Gather(storage, output);
            output.Column(0)[^1] ^= 0xFF;
        }

        public void Dispose()
        {
        }
    }
}
