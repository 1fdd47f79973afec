using Gear.Core.Compute;
using Gear.Core.Compute.Cpu;
using Gear.Core.Compute.Cuda;
using Gear.Server.Configuration;

namespace Gear.Server.Hosting;

/// <summary>The compute backend chosen from <c>--device</c>, with the reason, which is logged and reported in server info.</summary>
/// <param name="Backend">The backend; the caller owns and disposes it.</param>
/// <param name="Reason">Why this backend: "device cpu requested", "device auto: no usable GPU (...)", or the GPU's description.</param>
public sealed record ComputeBackendChoice(IComputeBackend Backend, string Reason)
{
    /// <summary>Opens a CUDA device by ordinal: the backend, or null and why not (<see cref="CudaBackend.TryCreate"/>).</summary>
    internal delegate IComputeBackend? CudaOpener(int ordinal, out string description);

    /// <summary>
    /// Chooses the backend for <paramref name="device"/>: <c>auto</c> takes CUDA device 0 when it is usable and the
    /// CPU backend otherwise, saying why; <c>cuda:N</c> never falls back silently. A CPU backend splits gathers of
    /// <see cref="CpuBackend.ParallelGatherThresholdBytes"/> or more over <paramref name="gatherThreads"/> threads.
    /// </summary>
    /// <exception cref="DeviceUnavailableException"><c>cuda:N</c> was asked for and cannot be used.</exception>
    public static ComputeBackendChoice For(DeviceSetting device, int gatherThreads = 1) => For(device, gatherThreads, CudaBackend.TryCreate);

    /// <summary><see cref="For(DeviceSetting, int)"/> with the CUDA opener supplied (tests).</summary>
    internal static ComputeBackendChoice For(DeviceSetting device, int gatherThreads, CudaOpener openCuda)
    {
        switch (device.Kind)
        {
            case DeviceKind.Cpu:
                return Cpu(gatherThreads, "device cpu requested");
            case DeviceKind.Auto:
            {
                var cuda = openCuda(0, out var description);
                return cuda is not null
                    ? new(cuda, $"device auto: {description}")
                    : Cpu(gatherThreads, $"device auto: no usable GPU ({description}); using the CPU backend");
            }
            default:
            {
                var cuda = openCuda(device.CudaOrdinal, out var description);
                return cuda is not null
                    ? new(cuda, $"device {device} requested: {description}")
                    : throw new DeviceUnavailableException(
                        $"device {device} cannot be used: {description}. Use --device auto (the CPU backend where no GPU is usable) or cpu");
            }
        }
    }

    private static ComputeBackendChoice Cpu(int gatherThreads, string reason) =>
        new(new CpuBackend(gatherThreads),
            gatherThreads == 1 ? reason
                : $"{reason}; gathers of {CpuBackend.ParallelGatherThresholdBytes >> 20} MiB or more split over {gatherThreads} threads");
}

/// <summary>The device named by <c>--device cuda:N</c> cannot be used; the message says why.</summary>
public sealed class DeviceUnavailableException(string message) : Exception(message);
