using Gear.Core.Sampling;
using Gear.Core.Storage;

namespace Gear.Core.Compute.Cuda;

/// <summary>
/// The device gather: plans the windows on the host (<see cref="GatherPlan"/>), queues the plan's one copy, and runs
/// gear_gather over every column and the mask in one launch, which writes straight into the caller's batch through
/// its mapping (<see cref="BatchMapping"/>), or into its device outputs (<see cref="DeviceColumns"/>); then waits once.
/// Fixed cost per call: the tier's pending copies (if any), one asynchronous copy from pinned staging, one launch,
/// one synchronize. <see cref="Queue"/> is the same without the wait, into a plan of the caller's, for gathers that
/// run while the host goes on (<see cref="QueuedGather"/>). Steady-state gathers allocate nothing. Not thread-safe:
/// the backend calls it under its gate.
/// </summary>
internal sealed unsafe class DeviceGather(IDeviceRuntime runtime) : IDisposable
{
    /// <summary>
    /// Bytes of a window's output per warp: each of its 32 lanes moves GEAR_VECTORS_IN_FLIGHT (8, in kernels/gather.cu)
    /// 16-byte vectors, all loads before the stores, so that a warp covers its tile in one round trip; a W4 window
    /// (512 KB) is 128 warps, a W1 observation (28 KB) 7, a W2 step's columns one each.
    /// </summary>
    internal const long TileBytes = WarpSize * VectorsInFlight * 16;

    /// <summary>Arguments of gear_gather (kernels/gather.cu), in the order <see cref="Queue"/> passes them.</summary>
    internal const int ArgumentCount = 13;

    private const int VectorsInFlight = 8;

    private const int WarpSize = 32;

    private readonly GatherPlan _plan = new(runtime);

    /// <summary>
    /// Gathers <paramref name="output"/>'s windows from pages addressed by <paramref name="arena"/> into
    /// <paramref name="target"/>: the batch's buffers as mapped for the device, or its device outputs.
    /// </summary>
    public void Gather(PagedStorage storage, StorageMapping arena, WindowBatch output, IGatherTarget target)
    {
        Queue(storage, arena, output, target, _plan, uploadAhead: false);
        runtime.Synchronize();
    }

    /// <summary>
    /// Queues the gather of <see cref="Gather"/> with <paramref name="plan"/> and returns without waiting: the pages
    /// read, the plan and the target must stay as they are until the queue has run it. With
    /// <paramref name="uploadAhead"/> the plan's copy may overlap earlier queued work (<see cref="GatherPlan.Upload"/>),
    /// for a plan that no earlier work reads.
    /// </summary>
    public void Queue(PagedStorage storage, StorageMapping arena, WindowBatch output, IGatherTarget target, GatherPlan plan, bool uploadAhead)
    {
        var count = output.Count;
        if (count == 0)
            return;
        var windowLength = output.WindowLength;
        var columns = storage.ColumnCount;
        long widestWindow = 0;
        for (var c = 0; c < columns; c++)
            widestWindow = Math.Max(widestWindow, output.WindowBytes(c));

        arena.CopyPendingWrites();
        plan.Upload(output.Sources, count, windowLength, storage.PageShift, storage.PageSteps, uploadAhead);

        var pageAddresses = arena.PageAddresses;
        var storagePages = storage.PageCount;
        var deviceStepBytes = target.ColumnStepBytes;
        var deviceOutputs = target.ColumnOutputs;
        var deviceMask = target.Mask;
        var deviceWindows = plan.Windows;
        var devicePages = plan.Pages;
        var shift = storage.PageShift;
        var tileBytes = TileBytes;
        var tilesPerWindow = checked((int)Math.Max(1, (widestWindow + TileBytes - 1) / TileBytes));
        void** args = stackalloc void*[ArgumentCount];
        args[0] = &pageAddresses; args[1] = &storagePages; args[2] = &deviceStepBytes; args[3] = &deviceOutputs;
        args[4] = &deviceMask; args[5] = &columns; args[6] = &deviceWindows; args[7] = &devicePages;
        args[8] = &count; args[9] = &windowLength; args[10] = &shift; args[11] = &tileBytes; args[12] = &tilesPerWindow;
        // A warp per (window, tile) of the widest column; one grid row per column and one more for the mask.
        var warpsPerBlock = LaunchShape.BlockThreads / WarpSize;
        var warps = checked((int)((long)count * tilesPerWindow)); // the kernel numbers warps in 32 bits
        var blocks = (uint)(((long)warps + warpsPerBlock - 1) / warpsPerBlock);
        runtime.Launch(Kernel.Gather, blocks, (uint)columns + 1, LaunchShape.BlockThreads, args);
    }

    /// <inheritdoc/>
    public void Dispose() => _plan.Dispose();
}
