using Gear.Core.Compute;
using Gear.Core.Compute.Cpu;
using Gear.Core.Compute.Cuda;
using Gear.Core.Sampling;
using Gear.Core.Storage;

namespace Gear.Core.Tests.Compute.Cuda;

/// <summary>
/// The device backend's logic without a GPU: the real DeviceBackend (planning, argument packing, page-address
/// tables, sum-tree phases) over the host emulation of the same kernel sources, against the CPU backend on
/// random inputs. Gathers byte-equal, selections index-equal and value-equal.
/// </summary>
[TestClass]
public sealed class EmulatedBackendTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void SumTreesEqualTheCpuBackend(int seed)
    {
        using var reference = new CpuBackend();
        var runtime = new EmulatedRuntime();
        using var candidate = new DeviceBackend(runtime);
        var result = BackendComparison.CompareSumTrees(reference, candidate, seed);
        Assert.IsTrue(result.Passed, result.Detail);
        Assert.IsTrue(runtime.Launches > 0, "no kernel ran");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void GathersEqualTheCpuBackend(int seed)
    {
        using var reference = new CpuBackend();
        var runtime = new EmulatedRuntime();
        using var candidate = new DeviceBackend(runtime);
        var result = BackendComparison.CompareGathers(reference, candidate, seed);
        Assert.IsTrue(result.Passed, result.Detail);
        Assert.IsTrue(runtime.Launches > 0, "no kernel ran");
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
