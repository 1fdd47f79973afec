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
/// The kernel does not read the plan from the staging through its mapped address (zero-copy), although that would
/// save the copy: every warp reads its window's entry and the page ids of its runs first, on its own critical path,
/// so a W4 batch (8,192 warps per column) would make tens of thousands of uncached reads over the bus, each a round
/// trip before the warp's first data load, and they would share the link with the zero-copy page reads of the rows
/// that are bus-bound already. One copy of the plan (under a kilobyte for W4, a few for W1) is one small transfer
/// ahead of the launch, with no host wait, and the warps then read it from device memory and cache. For a queued
/// gather that transfer goes on a second queue, so that it overlaps the kernel before it rather than following it.
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
    /// next call: the caller synchronizes in between (the gather does, once, after its launch). With
    /// <paramref name="ahead"/> the copy may run while earlier work still runs (<see cref="IDeviceRuntime.CopyToDeviceAhead"/>):
    /// for a queued gather, whose plan no earlier work reads, so that its upload overlaps the kernel before it.
    /// </summary>
    public void Upload(WindowSource[] sources, int count, int windowLength, int shift, int pageSteps, bool ahead)
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
        var bytes = windowBytes + (long)listed * sizeof(int);
        if (ahead)
            runtime.CopyToDeviceAhead(Windows, host, bytes);
        else
            runtime.CopyToDevice(Windows, host, bytes);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _staging.Dispose();
        _device.Dispose();
    }
}
