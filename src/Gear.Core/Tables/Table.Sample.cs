using System.Diagnostics;
using Gear.Core.Errors;
using Gear.Core.Sampling;
using Gear.Core.Schema;

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
            if (TrySampleAcquired(request, random, output, hold: false))
                return;
        }
    }

    /// <summary>The asynchronous form of <see cref="Sample"/>.</summary>
    public ValueTask SampleAsync(SampleRequest request, RandomStream random, WindowBatch output, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        SampleAsync(request, random, output, timeout, hold: false, cancellationToken);

    /// <summary><see cref="SampleAsync(SampleRequest, RandomStream, WindowBatch, TimeSpan, CancellationToken)"/>, or with <paramref name="hold"/> <see cref="SampleHeldAsync"/>.</summary>
    private async ValueTask SampleAsync(SampleRequest request, RandomStream random, WindowBatch output, TimeSpan timeout, bool hold, CancellationToken cancellationToken)
    {
        ValidateSample(request, random, output);
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            await _limiter.AcquireSampleAsync(request.BatchSize, Remaining(timeout, started), cancellationToken).ConfigureAwait(false);
            if (TrySampleAcquired(request, random, output, hold))
                return;
        }
    }

    private void ValidateSample(in SampleRequest request, RandomStream random, WindowBatch output)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(output);
        ObjectDisposedException.ThrowIf(output.IsDisposed, output);
        if (output.HeldBy is not null)
            throw new InvalidOperationException("the output batch still holds the pages of an earlier sample: release it first");
        request.Validate();
        if (!output.Fits(Spec.Columns))
            throw GearException.InvalidArgument($"the output batch's columns do not match the columns of table '{Name}'");
        _backend.CheckOutput(output);
        if (request.BatchSize > output.BatchSize)
            throw GearException.InvalidArgument($"batch_size {request.BatchSize} exceeds the output batch's {output.BatchSize} windows");
        if (request.WindowLength != output.WindowLength)
            throw GearException.InvalidArgument($"window_length {request.WindowLength} differs from the output batch's {output.WindowLength}");
        if (_stepItems && request.Placement == WindowPlacement.Uniform)
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
    /// references (or, with <paramref name="hold"/>, writes the mask and keeps the references for
    /// <see cref="ReleaseHeld"/>). False (permission returned) if the table turned out empty, so the caller waits again.
    /// </summary>
    private bool TrySampleAcquired(in SampleRequest request, RandomStream random, WindowBatch output, bool hold)
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
        if (hold)
        {
            WriteHeldMask(output);
            output.HeldBy = this;
            return true;
        }

        try
        {
            _backend.Gather(_storage, output);
        }
        finally
        {
            DropWindowReferences(output);
        }
        return true;
    }

    /// <summary>Drops the references a sample took on the trajectories of <paramref name="batch"/>'s windows.</summary>
    private void DropWindowReferences(WindowBatch batch)
    {
        lock (_sync)
        {
            var sources = batch.Sources;
            for (var w = 0; w < batch.Count; w++)
                DropReference(sources[w].TrajectorySlot);
        }
    }

    /// <summary>
    /// Under the lock: chooses the items, places the windows, counts the samples (retiring items that reach
    /// max_times_sampled), references each window's trajectory and computes importance weights. Randoms are
    /// drawn in a fixed order: B for selection, then B for placement (uniform placement only), then one per
    /// re-selection.
    /// </summary>
    private int SelectWindows(in SampleRequest request, RandomStream random, WindowBatch output)
    {
        var batch = request.BatchSize;
        var itemCount = _sampler.Count;
        output.Count = 0;
        output.ItemCount = itemCount;
        output.SelectionMass = _sampler.SelectionMass;
        if (itemCount == 0)
            return 0;

        var slots = output.Slots.AsSpan(0, batch);
        var probabilities = output.ProbabilitiesBuffer[..batch];
        var selectionUniforms = output.SelectionUniforms.AsSpan(0, batch);
        var placementUniforms = output.PlacementUniforms.AsSpan(0, batch);
        random.Fill(selectionUniforms);
        if (request.Placement == WindowPlacement.Uniform)
            random.Fill(placementUniforms);
        _sampler.Select(selectionUniforms, slots, probabilities);
        PrefetchItems(slots);

        var sources = output.Sources;
        var keys = output.KeysBuffer;
        var trajectoryKeys = output.TrajectoryKeysBuffer;
        var starts = output.StartsBuffer;
        var retireAt = Spec.MaxTimesSampled > 0 ? Spec.MaxTimesSampled : int.MaxValue;
        Span<double> oneUniform = [0];
        var filled = 0;
        for (var w = 0; w < batch; w++)
        {
            var slot = slots[w];
            var probability = probabilities[w];
            if (retireAt != int.MaxValue && !_items.IsLive(slot))
            {
                // Retired earlier in this batch by max_times_sampled: choose again from what is left (this is
                // what makes a Fifo/Queue table hand out distinct items). Without a limit nothing retires, and
                // the selector only returns live items.
                if (_sampler.Count == 0)
                    break;
                oneUniform[0] = random.NextDouble();
                _sampler.Select(oneUniform, new Span<int>(ref slot), new Span<double>(ref probability));
            }

            ref var item = ref _items[slot];
            var trajectory = item.Trajectory;
            var length = _trajectories.Lengths[trajectory];
            var start = WindowStart(request, item.Step, length, placementUniforms[w]);
            _trajectories.References[trajectory]++;
            sources[w] = new WindowSource(_trajectories.PageTables[trajectory], trajectory, start, length);
            keys[w] = _items.KeyOf(slot);
            trajectoryKeys[w] = _trajectories.KeyOf(trajectory);
            starts[w] = start;
            probabilities[w] = probability;
            if (++item.TimesSampled >= retireAt)
            {
                RemoveItem(slot);
                _itemsRetired++;
            }
            filled++;
        }

        output.Count = filled;
        _windowsSampled += filled;
        _backend.ImportanceWeights(probabilities[..filled], itemCount, request.ImportanceExponent, output.WeightsBuffer[..filled]);
        return filled;
    }

    /// <summary>The first step of a window for an item at <paramref name="step"/> of a trajectory of <paramref name="length"/>.</summary>
    private int WindowStart(in SampleRequest request, int step, int length, double placementUniform)
    {
        var windowLength = request.WindowLength;
        if (_stepItems)
            return request.Placement == WindowPlacement.EndAnchored ? step - windowLength + 1 : step;
        return request.Placement switch
        {
            WindowPlacement.StartAnchored => 0,
            WindowPlacement.EndAnchored => length - windowLength,
            _ when length >= windowLength => Math.Min((int)(placementUniform * (length - windowLength + 1)), length - windowLength),
            _ => request.ShortTrajectoryPadding == PaddingSide.Head ? length - windowLength : 0,
        };
    }
}
