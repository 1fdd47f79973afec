using Gear.Core.Compute.Cuda;

namespace Gear.Core.Tests.Compute.Cuda;

/// <summary>Opening CUDA where there is none gives a reason, not an exception (so the server can fall back or refuse).</summary>
[TestClass]
public sealed class CudaFallbackTests
{
    [TestMethod]
    public void NoGpuGivesAReasonThatNamesWhatIsMissing()
    {
        using var backend = CudaBackend.TryCreate(0, out var description);
        if (backend is not null)
            Assert.Inconclusive($"a GPU is present ({description}); this checks machines without one");
        StringAssert.Matches(description, new System.Text.RegularExpressions.Regex("CUDA driver|NVRTC|no CUDA device|device|cu[A-Z]"),
            "the reason does not say what is missing");
    }

    [TestMethod]
    public void ANegativeOrdinalIsRefusedWithAReason()
    {
        using var backend = CudaBackend.TryCreate(-1, out var description);
        Assert.IsNull(backend);
        Assert.IsFalse(string.IsNullOrWhiteSpace(description));
    }
}
