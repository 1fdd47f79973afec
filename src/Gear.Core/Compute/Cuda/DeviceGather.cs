using Gear.Core.Sampling;
using Gear.Core.Storage;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// The device gather: plans the windows on the host (valid positions as the CPU gather computes them, and the
/// pages each window reads), sends the plan, and runs gear_gather over every column in one launch and
/// gear_gather_mask, which write straight into the caller's batch through its mapping (<see cref="BatchMapping"/>),
/// or into its device outputs (<see cref="DeviceColumns"/>).
/// Scratch on both sides grows to the largest batch seen and is then reused: steady-state gathers allocate
/// nothing. Not thread-safe: the backend calls it under its gate.
/// </summary>
internal sealed unsafe class DeviceGather : IDisposable
{
    private readonly IDeviceRuntime _runtime;
    private readonly DeviceBuffer _windows;
    private readonly DeviceBuffer _pages;
    private DeviceWindow[] _hostWindows = [];
    private int[] _hostPages = [];

    /// <summary>Creates a gather on <paramref name="runtime"/>.</summary>
    public DeviceGather(IDeviceRuntime runtime)
    {
        _runtime = runtime;
        _windows = new DeviceBuffer(runtime);
        _pages = new DeviceBuffer(runtime);
    }

    /// <summary>
    /// Gathers <paramref name="output"/>'s windows from pages addressed by <paramref name="arena"/> into
    /// <paramref name="target"/>: the batch's buffers as mapped for the device, or its device outputs.
    /// </summary>
    public void Gather(PagedStorage storage, StorageMapping arena, WindowBatch output, IGatherTarget target)
    {
        var count = output.Count;
        if (count == 0)
            return;
        var windowLength = output.WindowLength;
        var pageCount = Plan(output.Sources, count, windowLength, storage.PageShift, storage.PageSteps);
        var columns = storage.ColumnCount;
        long largestColumn = 0;
        for (var c = 0; c < columns; c++)
            largestColumn = Math.Max(largestColumn, (long)count * output.WindowBytes(c));

        var deviceWindows = _windows.Ensure((long)count * sizeof(DeviceWindow));
        var devicePages = _pages.Ensure(Math.Max(1, pageCount) * sizeof(int));
        var deviceMask = target.Mask;
        fixed (DeviceWindow* windows = _hostWindows)
        fixed (int* pages = _hostPages)
        {
            arena.CopyPendingWrites();
            _runtime.CopyToDevice(deviceWindows, windows, (long)count * sizeof(DeviceWindow));
            if (pageCount > 0)
                _runtime.CopyToDevice(devicePages, pages, (long)pageCount * sizeof(int));

            var pageAddresses = arena.PageAddresses;
            var storagePages = storage.PageCount;
            var deviceOutputs = target.ColumnOutputs;
            var deviceStepBytes = target.ColumnStepBytes;
            var shift = storage.PageShift;
            void** args = stackalloc void*[9];
            args[0] = &pageAddresses; args[1] = &storagePages; args[2] = &deviceStepBytes; args[3] = &deviceOutputs;
            args[4] = &deviceWindows; args[5] = &devicePages; args[6] = &count; args[7] = &windowLength; args[8] = &shift;
            _runtime.Launch(Kernel.Gather, LaunchShape.Blocks((largestColumn + 15) / 16), (uint)columns, LaunchShape.BlockThreads, args);
            args[0] = &deviceWindows; args[1] = &count; args[2] = &windowLength; args[3] = &deviceMask;
            _runtime.Launch(Kernel.GatherMask, LaunchShape.Blocks((long)count * windowLength), 1, LaunchShape.BlockThreads, args);
            _runtime.Synchronize();
        }
    }

    /// <summary>
    /// Fills the host window plan and page list; returns the number of page ids listed. The valid positions are
    /// the CPU gather's (<see cref="WindowSource.ValidPositions"/>).
    /// </summary>
    private int Plan(WindowSource[] sources, int count, int windowLength, int shift, int pageSteps)
    {
        if (_hostWindows.Length < count)
            _hostWindows = new DeviceWindow[sources.Length];
        // A window of L steps touches at most ceil(L / P) + 1 pages.
        var maxPages = (long)count * ((windowLength + pageSteps - 1) / pageSteps + 1);
        if (_hostPages.Length < maxPages)
            _hostPages = new int[checked((int)maxPages)];

        var listed = 0;
        for (var w = 0; w < count; w++)
        {
            ref readonly var source = ref sources[w];
            var (first, end) = source.ValidPositions(windowLength);
            _hostWindows[w] = new DeviceWindow(source.Start, first, end, listed);
            if (first == end)
                continue;
            var firstPage = (source.Start + first) >> shift;
            var lastPage = (source.Start + end - 1) >> shift;
            for (var page = firstPage; page <= lastPage; page++)
                _hostPages[listed++] = source.PageTable[page];
        }
        return listed;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _windows.Dispose();
        _pages.Dispose();
    }
}
