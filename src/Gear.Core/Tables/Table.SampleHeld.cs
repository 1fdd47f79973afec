using Gear.Core.Errors;
using Gear.Core.Sampling;

namespace Gear.Core.Tables;

public sealed partial class Table
{
    /// <summary>
    /// Samples as <see cref="SampleAsync(SampleRequest, RandomStream, WindowBatch, TimeSpan, CancellationToken)"/>
    /// does (same randoms, same windows, same metadata and mask) but does not gather the columns: the sampled
    /// trajectories' pages stay allocated until <see cref="ReleaseHeld"/>, so a transport can send the windows
    /// straight from the pages (<see cref="HeldRun"/>) instead of copying them into <paramref name="output"/>
    /// first. Release soon: a held trajectory that is evicted keeps its pages, and inserts that need them wait.
    /// </summary>
    /// <exception cref="GearException">As SampleAsync.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="output"/> still holds an earlier sample.</exception>
    public ValueTask SampleHeldAsync(SampleRequest request, RandomStream random, WindowBatch output, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        SampleAsync(request, random, output, timeout, hold: true, cancellationToken);

    /// <summary>
    /// Address of position <paramref name="position"/> of window <paramref name="window"/> of a held batch in
    /// <paramref name="column"/>'s pages, and in <paramref name="steps"/> how many positions from there, up to
    /// <paramref name="end"/>, lie one after another in memory. Positions must be valid ones
    /// (<see cref="WindowBatch.ValidPositions"/>); the address stays valid until the batch is released.
    /// </summary>
    public unsafe nint HeldRun(WindowBatch held, int window, int column, int position, int end, out int steps)
    {
        CheckHeld(held);
        var (first, last) = held.ValidPositions(window);
        if (position < first || end > last || position >= end)
            throw new ArgumentOutOfRangeException(nameof(position), $"positions [{position}, {end}) are not inside window {window}'s valid positions [{first}, {last})");
        var pages = held.Sources[window].PageTable;
        var shift = _storage.PageShift;
        var pageSteps = _storage.PageSteps;
        var step = held.Sources[window].Start + position;
        var page = pages[step >> shift];
        var offset = step & (pageSteps - 1);
        steps = Math.Min(end - position, pageSteps - offset);
        // Pages taken one after another while a trajectory was written are often neighbours in the pool: one
        // run covers them all, which saves a transport one buffer descriptor per page.
        for (var next = page + 1; steps < end - position && pages[(step + steps) >> shift] == next; next++)
            steps = Math.Min(end - position, steps + pageSteps);
        return (nint)_storage.StepAddress(column, page, offset);
    }

    /// <summary>Gathers a held batch's columns into it, as SampleAsync would have (for a transport that stops sending from the pages).</summary>
    public void GatherHeld(WindowBatch held)
    {
        CheckHeld(held);
        _backend.Gather(_storage, held);
    }

    /// <summary>
    /// Queues the gather of a held batch into its device outputs on this table's device backend and returns
    /// without waiting (<see cref="Compute.Cuda.DeviceBatch.SampleQueuedAsync"/>). The hold keeps the pages the
    /// gather reads: release it only after <paramref name="queued"/> has been waited for.
    /// </summary>
    internal void QueueGatherHeld(WindowBatch held, Compute.Cuda.QueuedGather queued)
    {
        CheckHeld(held);
        if (_backend is not Compute.Cuda.DeviceBackend device)
            throw new InvalidOperationException($"table '{Name}' is on the {_backend.Name} backend, not a CUDA one: it cannot queue device gathers");
        device.QueueGather(_storage, held, queued);
    }

    /// <summary>Drops a held batch's hold on its trajectories' pages; the batch may sample again.</summary>
    public void ReleaseHeld(WindowBatch held)
    {
        CheckHeld(held);
        DropWindowReferences(held);
        held.HeldBy = null;
    }

    private void CheckHeld(WindowBatch held)
    {
        ArgumentNullException.ThrowIfNull(held);
        if (held.HeldBy != this)
            throw new InvalidOperationException($"the batch holds no sample of table '{Name}'");
    }

    /// <summary>
    /// The mask the gather would write: true at each window's valid positions. A batch without host buffers (a
    /// <see cref="Compute.Cuda.DeviceBatch"/>'s) gets its mask on the device, from the gather it queues.
    /// </summary>
    private static unsafe void WriteHeldMask(WindowBatch output)
    {
        if (!output.HasHostBuffers)
            return;
        var writer = new MaskWriter(output.MaskPointer, output.WindowLength, 0);
        for (var w = 0; w < output.Count; w++)
        {
            var (first, end) = output.ValidPositions(w);
            writer.Window(w, first, end);
        }
        writer.Finish(output.Count);
    }
}
