using Gear.Core.Compute;
using Gear.Core.Compute.Cuda;
using Gear.Core.Errors;
using Gear.Core.Selection;

namespace Gear.Core.Tests.Compute.Cuda;

/// <summary>
/// The selection kernels (kernels/selection.cu) through the real DeviceSelection and the device selectors (their
/// state in device copies kept in step by scatters) over the host emulation, against the CPU's selectors; and proof
/// that the comparison catches planted bugs of the kinds these could have.
/// </summary>
[TestClass]
public sealed class EmulatedSelectionTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public void SelectionKernelsEqualTheCpuSelectors(int seed)
    {
        var runtime = new EmulatedRuntime();
        using var backend = new DeviceBackend(runtime);
        foreach (var result in SelectionComparison.Run(backend, seed))
        {
            Assert.IsTrue(result.Passed, $"{result.Name}: {result.Detail}");
            Console.WriteLine($"{result.Name}: {result.Detail}");
        }
        Assert.IsTrue(runtime.Launches > 0, "no kernel ran");
    }

    [TestMethod]
    public void TheDeviceSelectsForUniformAndTopKAndLeavesTheRestOnTheHost()
    {
        IComputeBackend backend = new DeviceBackend(new EmulatedRuntime());
        using (backend)
        {
            Assert.IsInstanceOfType<DeviceUniformSelector>(backend.SamplingSelector(new UniformSelector(10)));
            Assert.IsInstanceOfType<DeviceTopKSelector>(backend.SamplingSelector(new TopKSelector(10)));
            var fifo = new FifoSelector(10);
            Assert.AreSame(fifo, backend.SamplingSelector(fifo));
        }
    }

    [TestMethod]
    public void TiesResolvedInReverseUpdateOrderAreCaught()
    {
        IComputeBackend backend = new DeviceBackend(new EmulatedRuntime());
        using (backend)
        {
            var result = SelectionComparison.CompareTopK(c => new ReversedTies(backend.SamplingSelector(new TopKSelector(c))), seed: 1);
            Assert.IsFalse(result.Passed, "a top-k with reversed ties passed the comparison");
        }
    }

    [TestMethod]
    public void PicksWrittenOnePlaceLateAreCaught()
    {
        IComputeBackend backend = new DeviceBackend(new EmulatedRuntime());
        using (backend)
        {
            var result = SelectionComparison.CompareUniformPicks(c => new OnePlaceLate(backend.SamplingSelector(new UniformSelector(c))), seed: 1);
            Assert.IsFalse(result.Passed, "uniform picks written one place late passed the comparison");
        }
    }

    [TestMethod]
    public void AWeightOffByAMillionthOfAPercentIsCaught()
    {
        using var backend = new DeviceBackend(new EmulatedRuntime());
        var result = SelectionComparison.CompareWeights(new NudgedWeight(backend.Selection), seed: 1);
        Assert.IsFalse(result.Passed, "a weight off by 1e-8 relative passed the comparison");
    }

    /// <summary>
    /// The device copy holds what was marked and flushed, and only that: an unmarked change never reaches it (so the
    /// kernels really read the copy, and a selector that forgot to mark a change would choose differently).
    /// </summary>
    [TestMethod]
    public unsafe void ADeviceCopySendsWhatWasMarkedAndNothingElse()
    {
        var runtime = new EmulatedRuntime();
        using var copy = new DeviceCopy<long>(runtime, 1000);
        var host = new long[1000];
        for (var i = 0; i < host.Length; i++)
            host[i] = i * 3;
        copy.Flush(host); // the first flush sends everything
        var device = new ReadOnlySpan<long>((void*)copy.Address, host.Length);
        Assert.IsTrue(device.SequenceEqual(host));
        var launches = runtime.Launches;
        host[7] = -1;
        host[500] = -2;
        host[999] = -3; // not marked
        copy.Mark(7);
        copy.Mark(500);
        copy.Mark(7);
        host[7] = -4; // the value at the flush wins
        copy.Flush(host);
        Assert.AreEqual(launches + 1, runtime.Launches, "one scatter launch");
        Assert.AreEqual(-4, device[7]);
        Assert.AreEqual(-2, device[500]);
        Assert.AreEqual(999 * 3, device[999], "an unmarked change reached the device");
        copy.MarkAll();
        copy.Flush(host);
        Assert.IsTrue(device.SequenceEqual(host));
    }

    /// <summary>
    /// Top-k stops queueing radix passes once a look finds the search settled: distinct random priorities settle in a
    /// few of the 16 passes, while equal priorities, ordered by their stamps, need the last ones. Either way the
    /// choices are the CPU's.
    /// </summary>
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void TopKQueuesOnlyThePassesItNeeds(bool equalPriorities)
    {
        const int items = 10_000, k = 256;
        var runtime = new EmulatedRuntime();
        IComputeBackend backend = new DeviceBackend(runtime);
        using (backend)
        {
            var onDevice = backend.SamplingSelector(new TopKSelector(items));
            var onCpu = new TopKSelector(items);
            var random = new Random(4);
            for (var s = 0; s < items; s++)
            {
                var priority = equalPriorities ? 1.0 : random.NextDouble();
                onDevice.Insert(s, priority);
                onCpu.Insert(s, priority);
            }
            var (uniforms, probabilities) = (new double[k], new double[k]);
            var (expected, actual) = (new int[k], new int[k]);
            onDevice.Select(uniforms, actual, probabilities); // the first selection copies the whole state in
            var launches = runtime.Launches;
            onDevice.Select(uniforms, actual, probabilities);
            onCpu.Select(uniforms, expected, probabilities);
            CollectionAssert.AreEqual(expected, actual);
            var passes = (runtime.Launches - launches - 2) / 3; // three launches a pass, then collect and rank
            if (equalPriorities)
                Assert.IsTrue(passes > 12, $"{passes} passes: the stamps' bytes were not reached");
            else
                Assert.IsTrue(passes <= 8, $"{passes} of 16 passes queued for distinct priorities");
            ((IDisposable)onDevice).Dispose();
        }
    }

    [TestMethod]
    public void TheDeviceRefusesWhatTheCpuRefuses()
    {
        IComputeBackend backend = new DeviceBackend(new EmulatedRuntime());
        using (backend)
        {
            var weights = new double[2];
            Assert.ThrowsException<GearException>(() => backend.ImportanceWeights([0.5, 0.0], 2, 0.4, weights));
            Assert.ThrowsException<GearException>(() => backend.ImportanceWeights([0.5, 0.5], 2, double.NaN, weights));
            // Bookkeeping mistakes are refused as the CPU selectors refuse them, and change nothing.
            var uniform = backend.SamplingSelector(new UniformSelector(10));
            var topK = backend.SamplingSelector(new TopKSelector(10));
            Assert.ThrowsException<InvalidOperationException>(() => uniform.Select([0.5], new int[1], new double[1]));
            Assert.ThrowsException<InvalidOperationException>(() => topK.Select([0.5], new int[1], new double[1]));
            uniform.Insert(3, 1.0);
            topK.Insert(3, 1.0);
            Assert.ThrowsException<InvalidOperationException>(() => uniform.Insert(3, 1.0));
            Assert.ThrowsException<InvalidOperationException>(() => topK.Remove(4));
            var slot = new int[2];
            uniform.Select([0.9, 0.1], slot, new double[2]);
            CollectionAssert.AreEqual(new[] { 3, 3 }, slot);
            topK.Select([0.0, 0.0], slot, new double[2]);
            CollectionAssert.AreEqual(new[] { 3, 3 }, slot);
            ((IDisposable)uniform).Dispose();
            ((IDisposable)topK).Dispose();
        }
    }

    /// <summary>Passes every call to the real selector; a planted bug overrides Select.</summary>
    private abstract class PassThrough(IItemSelector inner) : IItemSelector, IDisposable
    {
        protected IItemSelector Inner => inner;

        public int Count => inner.Count;

        public bool TryGetPriority(int slot, out double priority) => inner.TryGetPriority(slot, out priority);

        public void Insert(int slot, double priority) => inner.Insert(slot, priority);

        public void InsertRun(int firstSlot, ReadOnlySpan<double> priorities) => inner.InsertRun(firstSlot, priorities);

        public void Update(int slot, double priority) => inner.Update(slot, priority);

        public void UpdateBatch(ReadOnlySpan<int> slots, ReadOnlySpan<double> priorities) => inner.UpdateBatch(slots, priorities);

        public void Remove(int slot) => inner.Remove(slot);

        public void RemoveRun(int firstSlot, int count) => inner.RemoveRun(firstSlot, count);

        public void Clear() => inner.Clear();

        public virtual void Select(ReadOnlySpan<double> uniforms, Span<int> slots, Span<double> probabilities) =>
            inner.Select(uniforms, slots, probabilities);

        public void Dispose() => (inner as IDisposable)?.Dispose();
    }

    /// <summary>Each run of equal priorities in the choices reversed, as stamps counted backwards would order it.</summary>
    private sealed class ReversedTies(IItemSelector inner) : PassThrough(inner)
    {
        public override void Select(ReadOnlySpan<double> uniforms, Span<int> slots, Span<double> probabilities)
        {
            base.Select(uniforms, slots, probabilities);
            var distinct = Math.Min(uniforms.Length, Count);
            for (var start = 0; start < distinct;)
            {
                Inner.TryGetPriority(slots[start], out var priority);
                var end = start + 1;
                while (end < distinct && Inner.TryGetPriority(slots[end], out var next) && next == priority)
                    end++;
                slots[start..end].Reverse();
                start = end;
            }
        }
    }

    /// <summary>Pick i written where pick i + 1 belongs (an output index off by one), the first pick repeated.</summary>
    private sealed class OnePlaceLate(IItemSelector inner) : PassThrough(inner)
    {
        public override void Select(ReadOnlySpan<double> uniforms, Span<int> slots, Span<double> probabilities)
        {
            base.Select(uniforms, slots, probabilities);
            for (var i = uniforms.Length - 1; i > 0; i--)
                slots[i] = slots[i - 1];
        }
    }

    /// <summary>The last weight scaled by 1 + 1e-8: far inside any training tolerance, outside the comparison's.</summary>
    private sealed class NudgedWeight(ISelectionKernels inner) : ISelectionKernels
    {
        public void ImportanceWeights(ReadOnlySpan<double> probabilities, int itemCount, double beta, Span<double> weights)
        {
            inner.ImportanceWeights(probabilities, itemCount, beta, weights);
            weights[probabilities.Length - 1] *= 1 + 1e-8;
        }
    }
}
