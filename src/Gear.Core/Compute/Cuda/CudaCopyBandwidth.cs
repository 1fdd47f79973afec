namespace Gear.Core.Compute.Cuda;

/// <summary>A device's own copy bandwidths, the references its kernels' throughputs are judged against.</summary>
/// <param name="DeviceToDeviceBytesPerSecond">cuMemcpyDtoDAsync between two device buffers (bytes copied per second).</param>
/// <param name="PinnedHostToDeviceBytesPerSecond">cuMemcpyHtoDAsync from pinned (cuMemHostAlloc) host memory.</param>
public readonly record struct CudaCopyBandwidth(double DeviceToDeviceBytesPerSecond, double PinnedHostToDeviceBytesPerSecond)
{
    /// <summary>
    /// Measures both on <paramref name="backend"/>'s device with events on its stream: one warm-up copy, then
    /// <paramref name="repeats"/> copies of <paramref name="bytes"/> each.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="backend"/> is not a CUDA backend.</exception>
    public static unsafe CudaCopyBandwidth Measure(IComputeBackend backend, long bytes = 256L << 20, int repeats = 10)
    {
        var runtime = CudaRuntime.Of(backend);
        runtime.Enter();
        var driver = runtime.Driver;
        var stream = runtime.Stream;
        var source = driver.Allocate(bytes);
        var destination = driver.Allocate(bytes);
        var host = driver.AllocateHost(bytes);
        var start = driver.CreateEvent();
        var end = driver.CreateEvent();
        try
        {
            double Time(Action copy)
            {
                copy();
                driver.Record(start, stream);
                for (var i = 0; i < repeats; i++)
                    copy();
                driver.Record(end, stream);
                driver.WaitFor(end);
                return (double)bytes * repeats / (driver.ElapsedMilliseconds(start, end) / 1e3);
            }

            var deviceToDevice = Time(() => driver.CopyOnDevice(destination, source, bytes, stream));
            var hostToDevice = Time(() => driver.CopyToDevice(destination, host, bytes, stream));
            return new CudaCopyBandwidth(deviceToDevice, hostToDevice);
        }
        finally
        {
            driver.Synchronize(stream);
            driver.DestroyEvent(start);
            driver.DestroyEvent(end);
            driver.FreeHost(host);
            driver.Free(source);
            driver.Free(destination);
        }
    }
}
