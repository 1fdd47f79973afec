using Gear.Core.Compute;
using Gear.Core.Compute.Cuda;

namespace Gear.Core.Tests.Compute.Cuda;

/// <summary>
/// The CUDA backend on a real GPU against the CPU backend, given the same random numbers: sum trees bit-equal and
/// selections index-equal, gathers byte-equal into poisoned buffers (mapped host buffers and a DeviceBatch's device
/// memory), whole tables selecting on the device against the same tables on the CPU, and the selection kernels and
/// device selectors against the CPU's selectors (importance weights within a stated tolerance, uniform picks and
/// top-k index-equal). Inconclusive (never Passed) on a machine without a usable GPU, with the reason.
/// </summary>
[TestClass]
[TestCategory("Gpu")]
public sealed class CudaGpuTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(7)]
    public void CudaBackendEqualsTheCpuBackend(int seed)
    {
        using var backend = CudaBackend.TryCreate(0, out var description)
            ?? throw new AssertInconclusiveException($"no usable GPU: {description}");
        foreach (var result in BackendComparison.Run(backend, seed))
            Assert.IsTrue(result.Passed, $"{result.Name} on {description}: {result.Detail}");
    }
}
