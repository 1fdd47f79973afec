namespace Gear.Core.Compute.Cuda;

/// <summary>
/// Opens the CUDA backend: the driver (<c>libcuda.so.1</c>), NVRTC, the device, and the kernels compiled for it.
/// Anything missing or failing is reported as a reason, never thrown, so that the caller can choose the CPU
/// backend (<c>--device auto</c>) or refuse to start (<c>--device cuda:N</c>).
/// </summary>
public static class CudaBackend
{
    /// <summary>
    /// Tries to open device <paramref name="ordinal"/>. On success returns the backend and a description of the
    /// device; otherwise null and why (driver not installed, no device, no such ordinal, NVRTC missing, a kernel
    /// failed to compile: the CUDA error names the call).
    /// </summary>
    public static IComputeBackend? TryCreate(int ordinal, out string description)
    {
        var driver = CudaDriver.TryGet(out var problem);
        if (driver is null)
        {
            description = problem;
            return null;
        }
        var compiler = Nvrtc.TryGet(out problem);
        if (compiler is null)
        {
            description = problem;
            return null;
        }
        try
        {
            var devices = driver.DeviceCount();
            if (ordinal < 0 || ordinal >= devices)
            {
                description = $"there is no CUDA device {ordinal} ({devices} found)";
                return null;
            }
            var version = driver.Version();
            var runtime = new CudaRuntime(driver, compiler, ordinal);
            var kernels = runtime.KernelTarget == $"sm_{runtime.ComputeCapability}" ? "" : $", kernels as {runtime.KernelTarget}";
            description = $"{runtime.Name}: {runtime.DeviceName}, sm_{runtime.ComputeCapability}{kernels}, driver CUDA {version / 1000}.{version % 1000 / 10}";
            return new DeviceBackend(runtime);
        }
        catch (CudaException e)
        {
            description = e.Message;
            return null;
        }
    }
}
