namespace Gear.Core.Compute.Cuda;

/// <summary>
/// A copy reference measured the way a gather is: one copy of exactly the bytes one operation moves, queued on the
/// backend's stream and waited for, timed per call with <see cref="PerCallTiming"/>. Its fixed costs (the call into
/// the driver, the copy engine's start, the wait) weigh on a few megabytes as a gather's launch and wait do, which the
/// device's peak bandwidth (<see cref="CudaCopyBandwidth"/>: 256 MiB copies back to back, timed by events) leaves out.
/// </summary>
internal static class CudaSynchronousCopy
{
    /// <summary>
    /// Bytes per second of synchronous copies of <paramref name="bytes"/> into device memory on <paramref name="backend"/>'s
    /// device, from device memory (<paramref name="fromDevice"/>) or from pinned host memory (cuMemHostAlloc), for about
    /// <paramref name="duration"/> of measured copies.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="backend"/> is not a CUDA backend.</exception>
    public static unsafe double BytesPerSecond(IComputeBackend backend, long bytes, bool fromDevice, TimeSpan duration)
    {
        var runtime = CudaRuntime.Of(backend);
        runtime.Enter();
        var driver = runtime.Driver;
        var stream = runtime.Stream;
        var destination = driver.Allocate(bytes);
        var deviceSource = fromDevice ? driver.Allocate(bytes) : 0;
        var hostSource = fromDevice ? null : driver.AllocateHost(bytes);
        try
        {
            void Copy()
            {
                if (fromDevice)
                    driver.CopyOnDevice(destination, deviceSource, bytes, stream);
                else
                    driver.CopyToDevice(destination, hostSource, bytes, stream);
                driver.Synchronize(stream);
            }

            return bytes / PerCallTiming.SecondsPerCall(() => { }, Copy, duration);
        }
        finally
        {
            driver.Synchronize(stream);
            if (hostSource != null)
                driver.FreeHost(hostSource);
            if (deviceSource != 0)
                driver.Free(deviceSource);
            driver.Free(destination);
        }
    }
}
