using Gear.Core.Compute;
using Gear.Core.Compute.Cpu;
using Gear.Server.Configuration;

namespace Gear.Server.Hosting;

/// <summary>The compute backend chosen from <c>--device</c>, with the reason, which is logged and reported in server info.</summary>
/// <param name="Backend">The backend; the caller owns and disposes it.</param>
/// <param name="Reason">Why this backend: "no CUDA backend built yet", "--device cpu".</param>
public sealed record ComputeBackendChoice(IComputeBackend Backend, string Reason)
{
    /// <summary>Chooses the backend for <paramref name="device"/>. CUDA never gets here: validation refuses it in this build.</summary>
    public static ComputeBackendChoice For(DeviceSetting device) => device.Kind switch
    {
        DeviceKind.Auto => new(new CpuBackend(), "device auto: no CUDA backend built yet"),
        DeviceKind.Cpu => new(new CpuBackend(), "device cpu requested"),
        _ => throw new InvalidOperationException($"device {device} has no backend in this build; validation should have refused it"),
    };
}
