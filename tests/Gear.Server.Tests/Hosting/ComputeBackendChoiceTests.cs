using Gear.Core.Compute;
using Gear.Core.Compute.Cpu;
using Gear.Core.Compute.Cuda;
using Gear.Server.Configuration;
using Gear.Server.Hosting;

namespace Gear.Server.Tests.Hosting;

/// <summary>
/// <c>--device</c> to backend: auto takes a usable GPU and otherwise the CPU backend with the reason; cuda:N with no
/// usable GPU is an error that says why, never a silent fallback.
/// </summary>
[TestClass]
public sealed class ComputeBackendChoiceTests
{
    [TestMethod]
    public void AutoWithoutAGpuPicksTheCpuAndSaysWhy()
    {
        var choice = ComputeBackendChoice.For(new DeviceSetting(DeviceKind.Auto), 1, Unusable("the CUDA driver library is not installed"));
        using var backend = choice.Backend;
        Assert.IsInstanceOfType<CpuBackend>(backend);
        Assert.AreEqual(1, ((CpuBackend)backend).GatherThreads);
        Assert.AreEqual("device auto: no usable GPU (the CUDA driver library is not installed); using the CPU backend", choice.Reason);
    }

    [TestMethod]
    public void TheCpuBackendSplitsGathersOverTheConfiguredThreadsAndSaysSo()
    {
        var asked = ComputeBackendChoice.For(new DeviceSetting(DeviceKind.Cpu), 3, Unusable("never asked"));
        using (var backend = asked.Backend)
            Assert.AreEqual(3, ((CpuBackend)backend).GatherThreads);
        Assert.AreEqual("device cpu requested; gathers of 1 MiB or more split over 3 threads", asked.Reason);

        var fallback = ComputeBackendChoice.For(new DeviceSetting(DeviceKind.Auto), 2, Unusable("no device"));
        using (var backend = fallback.Backend)
            Assert.AreEqual(2, ((CpuBackend)backend).GatherThreads);
        StringAssert.EndsWith(fallback.Reason, "using the CPU backend; gathers of 1 MiB or more split over 2 threads");
    }

    [TestMethod]
    public void AutoWithAGpuPicksIt()
    {
        using var gpu = new CpuBackend(); // stands in for the device backend the opener returns
        var opened = -1;
        var choice = ComputeBackendChoice.For(new DeviceSetting(DeviceKind.Auto), 1, (int ordinal, out string description) =>
        {
            opened = ordinal;
            description = "cuda:0: Test GPU, sm_90";
            return gpu;
        });
        Assert.AreSame(gpu, choice.Backend);
        Assert.AreEqual(0, opened);
        Assert.AreEqual("device auto: cuda:0: Test GPU, sm_90", choice.Reason);
    }

    [TestMethod]
    public void CudaWithoutAGpuIsAnErrorNamingTheDeviceAndTheReason()
    {
        var error = Assert.ThrowsException<DeviceUnavailableException>(() =>
            ComputeBackendChoice.For(new DeviceSetting(DeviceKind.Cuda, 2), 1, Unusable("there is no CUDA device 2 (1 found)")));
        StringAssert.StartsWith(error.Message, "device cuda:2 cannot be used: there is no CUDA device 2 (1 found).");
    }

    /// <summary>On this machine, through the real driver probe: auto never fails, and names why it chose what it chose.</summary>
    [TestMethod]
    public void AutoOnThisMachineNamesItsReason()
    {
        var choice = ComputeBackendChoice.For(new DeviceSetting(DeviceKind.Auto));
        using var backend = choice.Backend;
        if (backend is not CpuBackend)
            Assert.Inconclusive($"a GPU is usable here: {choice.Reason}");
        StringAssert.StartsWith(choice.Reason, "device auto: no usable GPU (");
        using var probe = CudaBackend.TryCreate(0, out var why);
        StringAssert.Contains(choice.Reason, why);
    }

    private static ComputeBackendChoice.CudaOpener Unusable(string reason) => (int _, out string description) =>
    {
        description = reason;
        return null;
    };
}
