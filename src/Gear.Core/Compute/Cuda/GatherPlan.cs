using Gear.Core.Sampling;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// The device gather's plan, as the kernel reads it: one <see cref="DeviceWindow"/> per window (its valid positions
/// as the CPU gather computes them, <see cref="WindowSource.ValidPositions"/>, and where its page ids start), then the
/// page ids the windows read, in that order. Written into pinned staging and sent with one asynchronous copy on the
/// device's queue, ahead of the gather launch: no synchronous upload from pageable memory, no host wait before the
/// launch. Both sides grow to the largest plan seen and are then reused, so steady-state plans allocate nothing.
/// </summary>
/// <remarks>
/// The kernel does not read the plan from the staging through its mapped address (zero-copy): every 16-byte chunk
/// of the output reads its window's entry and a page id, so a plan of a few kilobytes would be read over the bus
/// a million times for a 16 MB batch, one uncached round trip each, competing with the zero-copy page reads for the
/// same link. One copy of the plan costs one transfer, and the kernel then reads it from device memory and cache.
/// </remarks>
internal sealed unsafe class GatherPlan(IDeviceRuntime runtime) : IDisposable
{
    private readonly PinnedStaging _staging = new(runtime);
    private readonly DeviceBuffer _device = new(runtime);

    /// <summary>Device address of the windows of the last <see cref="Upload"/>.</summary>
    public ulong Windows { get; private set; }

    /// <summary>Device address of the page ids of the last <see cref="Upload"/> (16-byte aligned, after the windows).</summary>
    public ulong Pages { get; private set; }

    /// <summary>
    /// Plans the first <paramref name="count"/> windows of <paramref name="sources"/> over pages of 2^<paramref name="shift"/>
    /// (= <paramref name="pageSteps"/>) steps and queues the plan's copy to the device. The staging is rewritten by the
    /// next call: the caller synchronizes in between (the gather does, once, after its launch).
    /// </summary>
    public void Upload(WindowSource[] sources, int count, int windowLength, int shift, int pageSteps)
    {
        var windowBytes = (long)count * sizeof(DeviceWindow);
        // A window of L steps touches at most ceil(L / P) + 1 pages.
        var mostPages = (long)count * ((windowLength + pageSteps - 1) / pageSteps + 1);
        var capacity = windowBytes + mostPages * sizeof(int);
        var host = _staging.Ensure(capacity);
        var windows = (DeviceWindow*)host;
        var pages = (int*)(host + windowBytes);

        var listed = 0;
        for (var w = 0; w < count; w++)
        {
            ref readonly var source = ref sources[w];
            var (first, end) = source.ValidPositions(windowLength);
            windows[w] = new DeviceWindow(source.Start, first, end, listed);
            if (first == end)
                continue;
            var firstPage = (source.Start + first) >> shift;
            var lastPage = (source.Start + end - 1) >> shift;
            for (var page = firstPage; page <= lastPage; page++)
                pages[listed++] = source.PageTable[page];
        }

        Windows = _device.Ensure(capacity);
        Pages = Windows + (ulong)windowBytes;
        runtime.CopyToDevice(Windows, host, windowBytes + (long)listed * sizeof(int));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _staging.Dispose();
        _device.Dispose();
    }
}
