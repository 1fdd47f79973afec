using System.Diagnostics;
using System.Runtime.Intrinsics.X86;
using Gear.Core.Errors;
using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Selection;

namespace Gear.Core.Tables;

public sealed partial class Table
{
    /// <summary>
    /// Samples <see cref="SampleRequest.BatchSize"/> windows into <paramref name="output"/>, drawing every
    /// random number from <paramref name="random"/>. Blocks while the rate limiter forbids the sample, up to
    /// <paramref name="timeout"/>. <see cref="WindowBatch.Count"/> says how many windows were filled: fewer
    /// than asked only when items retired by max_times_sampled leave too few to fill the batch.
    /// </summary>
    /// <exception cref="GearException">InvalidArgument (request or output do not fit the table),
    /// DeadlineExceeded, Unavailable.</exception>
    public void Sample(in SampleRequest request, RandomStream random, WindowBatch output, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ValidateSample(request, random, output);
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            _limiter.AcquireSample(request.BatchSize, Remaining(timeout, started), cancellationToken);
            if (TrySampleAcquired(request, random, output))
                return;
        }
    }

    /// <summary>The asynchronous form of <see cref="Sample"/>.</summary>
    public async ValueTask SampleAsync(SampleRequest request, RandomStream random, WindowBatch output, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ValidateSample(request, random, output);
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            await _limiter.AcquireSampleAsync(request.BatchSize, Remaining(timeout, started), cancellationToken).ConfigureAwait(false);
            if (TrySampleAcquired(request, random, output))
                return;
        }
    }

    private void ValidateSample(in SampleRequest request, RandomStream random, WindowBatch output)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(output);
        request.Validate();
        if (!output.Fits(Spec.Columns))
            throw GearException.InvalidArgument($"the output batch's columns do not match the columns of table '{Name}'");
        if (request.BatchSize > output.BatchSize)
            throw GearException.InvalidArgument($"batch_size {request.BatchSize} exceeds the output batch's {output.BatchSize} windows");
        if (request.WindowLength != output.WindowLength)
            throw GearException.InvalidArgument($"window_length {request.WindowLength} differs from the output batch's {output.WindowLength}");
        if (Spec.Granularity == ItemGranularity.Step && request.Placement == WindowPlacement.Uniform)
            throw GearException.InvalidArgument(
                $"placement uniform applies to trajectory items; table '{Name}' has step items, whose windows start or end at the chosen step: use start_anchored or end_anchored");
    }

    private static TimeSpan Remaining(TimeSpan timeout, long started)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
            return timeout;
        var left = timeout - Stopwatch.GetElapsedTime(started);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>
    /// With the rate limiter's permission in hand: selects under the lock, gathers outside it, drops the
    /// references. False (permission returned) if the table turned out empty, so the caller waits again.
    /// </summary>
    private bool TrySampleAcquired(in SampleRequest request, RandomStream random, WindowBatch output)
    {
        int filled;
        lock (_sync)
        {
            ThrowIfDisposed();
            filled = SelectWindows(request, random, output);
            FlushLimiterDeletes();
        }
        if (filled < request.BatchSize)
            _limiter.ReturnSample(request.BatchSize - filled);
        if (filled == 0)
        {
            // Emptied between the limiter's check and the lock (deletes race with samples): wait again.
            Thread.Yield();
            return false;
        }

        try
        {
            _backend.Gather(_storage, output);
        }
        finally
        {
            lock (_sync)
            {
                var sources = output.Sources;
                for (var w = 0; w < filled; w++)
                    DropReference(sources[w].TrajectorySlot);
            }
        }
        return true;
    }

    /// <summary>
    /// Under the lock: chooses the items, places the windows, counts the samples (retiring items that reach
    /// max_times_sampled), references each window's trajectory and computes importance weights.
    /// </summary>
    private int SelectWindows(in SampleRequest request, RandomStream random, WindowBatch output)
    {
        var batch = request.BatchSize;
        var itemCount = _sampler.Count;
        output.Count = 0;
        if (itemCount == 0)
            return 0;

        var slots = output.Slots.AsSpan(0, batch);
        var probabilities = output.ProbabilitiesBuffer[..batch];
        var selectionUniforms = output.SelectionUniforms.AsSpan(0, batch);
        var placementUniforms = output.PlacementUniforms.AsSpan(0, batch);
        random.Fill(selectionUniforms);
        random.Fill(placementUniforms);
        _sampler.Select(selectionUniforms, slots, probabilities);
        PrefetchItems(slots);

        Span<double> oneUniform = [0];
        var filled = 0;
        for (var w = 0; w < batch; w++)
        {
            var slot = slots[w];
            var probability = probabilities[w];
            if (!_items.Records[slot].Live)
            {
                // Retired earlier in this batch by max_times_sampled: choose again from what is left (this is
                // what makes a Fifo/Queue table hand out distinct items).
                if (_sampler.Count == 0)
                    break;
                oneUniform[0] = random.NextDouble();
                _sampler.Select(oneUniform, new Span<int>(ref slot), new Span<double>(ref probability));
            }
            PlaceWindow(w, slot, probability, request, placementUniforms[w], output);
            filled++;
        }

        output.Count = filled;
        _windowsSampled += filled;
        ImportanceWeights.Compute(probabilities[..filled], itemCount, request.ImportanceExponent, output.WeightsBuffer[..filled]);
        return filled;
    }

    /// <summary>
    /// Asks for every chosen item's record before any is read: a batch touches hundreds of random records in
    /// a large table, and fetching them in parallel rather than one miss after another is most of the cost.
    /// </summary>
    private unsafe void PrefetchItems(ReadOnlySpan<int> slots)
    {
        if (!Sse.IsSupported)
            return;
        fixed (ItemRecord* records = _items.Records)
        {
            foreach (var slot in slots)
                Sse.Prefetch0(records + slot);
        }
    }

    /// <summary>The same for items named by key (priority updates).</summary>
    private unsafe void PrefetchItems(ReadOnlySpan<ulong> keys)
    {
        if (!Sse.IsSupported)
            return;
        fixed (ItemRecord* records = _items.Records)
        {
            foreach (var key in keys)
            {
                var slot = _items.SlotOf(key);
                if (slot >= 0)
                    Sse.Prefetch0(records + slot);
            }
        }
    }

    private void PlaceWindow(int window, int slot, double probability, in SampleRequest request, double placementUniform, WindowBatch output)
    {
        ref var item = ref _items.Records[slot];
        var trajectory = item.Trajectory;
        var length = _trajectories.Lengths[trajectory];
        var windowLength = request.WindowLength;
        int start;
        if (Spec.Granularity == ItemGranularity.Step)
        {
            var step = item.Step;
            start = request.Placement == WindowPlacement.EndAnchored ? step - windowLength + 1 : step;
        }
        else
        {
            start = request.Placement switch
            {
                WindowPlacement.StartAnchored => 0,
                WindowPlacement.EndAnchored => length - windowLength,
                _ when length >= windowLength => Math.Min((int)(placementUniform * (length - windowLength + 1)), length - windowLength),
                _ => request.ShortTrajectoryPadding == PaddingSide.Head ? length - windowLength : 0,
            };
        }

        _trajectories.References[trajectory]++;
        output.Sources[window] = new WindowSource(_trajectories.PageTables[trajectory], trajectory, start, length);
        output.KeysBuffer[window] = item.Key;
        output.TrajectoryKeysBuffer[window] = _trajectories.Keys[trajectory];
        output.StartsBuffer[window] = start;
        output.ProbabilitiesBuffer[window] = probability;

        var timesSampled = ++item.TimesSampled;
        if (Spec.MaxTimesSampled > 0 && timesSampled >= Spec.MaxTimesSampled)
        {
            RemoveItem(slot);
            _itemsRetired++;
        }
    }
}
