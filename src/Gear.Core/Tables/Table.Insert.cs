using System.Buffers;
using Gear.Core.Errors;
using Gear.Core.Schema;
using Gear.Core.Storage;

namespace Gear.Core.Tables;

public sealed partial class Table
{
    /// <summary>Opens a new trajectory and returns its key. Evicts a closed item if every slot is taken.</summary>
    /// <exception cref="GearException">ResourceExhausted when every slot holds an open trajectory.</exception>
    public ulong OpenTrajectory()
    {
        lock (_sync)
        {
            while (true)
            {
                ThrowIfDisposed();
                var slot = _trajectories.TryOpen();
                if (slot >= 0)
                {
                    FlushLimiterDeletes();
                    return _trajectories.KeyOf(slot);
                }
                if (TryEvictOne())
                    continue;
                FlushLimiterDeletes();
                if (_slotsAwaitingRelease == 0)
                    throw GearException.ResourceExhausted(
                        $"table '{Name}' has no free trajectory slot: all {Spec.MaxTrajectories} hold open trajectories; close or abandon some, or raise max_trajectories");
                WaitForRelease();
            }
        }
    }

    /// <summary>
    /// Appends <paramref name="stepCount"/> steps to an open trajectory. <paramref name="columns"/> holds one
    /// buffer per column, in table order, each with stepCount × the column's step bytes (little-endian,
    /// row-major). Evicts closed items if pages run out. Validation happens before anything changes.
    /// </summary>
    /// <exception cref="GearException">InvalidArgument (counts and sizes), NotFound (unknown key),
    /// FailedPrecondition (trajectory not open, or another append to it in flight), ResourceExhausted.</exception>
    public void Append(ulong trajectoryKey, int stepCount, ReadOnlySpan<ReadOnlyMemory<byte>> columns) =>
        Append(trajectoryKey, stepCount, new MemoryColumns(columns));

    /// <summary>
    /// Appends steps whose column buffers are segmented (a request's bytes as the network delivered them): as
    /// <see cref="Append(ulong, int, ReadOnlySpan{ReadOnlyMemory{byte}})"/>, each column copied into the pages
    /// straight from its segments.
    /// </summary>
    /// <exception cref="GearException">As the contiguous form.</exception>
    public void Append(ulong trajectoryKey, int stepCount, ReadOnlySpan<ReadOnlySequence<byte>> columns) =>
        Append(trajectoryKey, stepCount, new SequenceColumns(columns));

    private unsafe void Append<TColumns>(ulong trajectoryKey, int stepCount, TColumns columns)
        where TColumns : IAppendColumns, allows ref struct
    {
        ValidateSteps(stepCount, columns);

        int slot;
        int firstStep;
        lock (_sync)
        {
            slot = ReservePages(trajectoryKey, stepCount);
            firstStep = _trajectories.Lengths[slot];
            _trajectories.Appending[slot] = true;
            _trajectories.References[slot]++;
        }

        // Copy outside the lock: the slot is referenced, so its pages stay ours even if it is released meanwhile.
        var pages = _trajectories.PageTables[slot];
        var pageMask = Spec.PageSteps - 1;
        for (var column = 0; column < columns.Count; column++)
        {
            var stepBytes = _storage.StepBytes(column);
            var source = new ColumnReader(columns[column]);
            var written = 0;
            var step = firstStep;
            while (written < stepCount)
            {
                var offset = step & pageMask;
                var run = Math.Min(stepCount - written, Spec.PageSteps - offset);
                var page = pages[step >> _storage.PageShift];
                source.CopyTo(_storage.StepAddress(column, page, offset), run * stepBytes);
                _storage.NotifyWritten(column, page, offset, run);
                written += run;
                step += run;
            }
        }
        // The steps become readable below (their length is published under the lock).
        StreamingCopy.Fence();

        lock (_sync)
        {
            _trajectories.Appending[slot] = false;
            var stillOpen = _trajectories.States[slot] == TrajectoryState.Open;
            if (stillOpen)
                _trajectories.Lengths[slot] = firstStep + stepCount;
            DropReference(slot);
            if (!stillOpen)
                throw GearException.NotFound(
                    $"trajectory {trajectoryKey} was abandoned or the table '{Name}' was reset while steps were being appended; the steps were discarded");
        }
    }

    /// <summary>Appends one step (one buffer per column).</summary>
    public void AppendStep(ulong trajectoryKey, ReadOnlySpan<ReadOnlyMemory<byte>> columns) => Append(trajectoryKey, 1, columns);

    /// <summary>
    /// Closes an open trajectory, making it sampleable. <paramref name="priorities"/> holds one priority (for
    /// the trajectory item, or for every step item) or, for step items, one per step. Blocks while the rate
    /// limiter forbids the insert, up to <paramref name="timeout"/>; if the wait fails the trajectory stays
    /// open and may be closed again.
    /// </summary>
    /// <returns>The commit's log sequence number (see <see cref="LogSequence"/>).</returns>
    /// <exception cref="GearException">InvalidArgument, NotFound, FailedPrecondition, DeadlineExceeded, Unavailable.</exception>
    public long Close(ulong trajectoryKey, ReadOnlySpan<double> priorities, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var (slot, itemCount, epoch) = BeginClose(trajectoryKey, priorities);
        try
        {
            // Named by the reset epoch it was prepared in, so a reset in between makes it fail, not count.
            _limiter.AcquireInsert(itemCount, epoch, timeout, cancellationToken);
        }
        catch
        {
            AbortClose(slot, epoch);
            throw;
        }
        return CompleteClose(trajectoryKey, slot, itemCount, epoch, priorities);
    }

    /// <summary>Closes an open trajectory with one priority, waiting on the rate limiter without a deadline.</summary>
    public long Close(ulong trajectoryKey, double priority) =>
        Close(trajectoryKey, new ReadOnlySpan<double>(in priority), Timeout.InfiniteTimeSpan);

    /// <summary>The asynchronous form of <see cref="Close(ulong, ReadOnlySpan{double}, TimeSpan, CancellationToken)"/>.</summary>
    public async ValueTask<long> CloseAsync(ulong trajectoryKey, ReadOnlyMemory<double> priorities, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var (slot, itemCount, epoch) = BeginClose(trajectoryKey, priorities.Span);
        try
        {
            await _limiter.AcquireInsertAsync(itemCount, epoch, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            AbortClose(slot, epoch);
            throw;
        }
        return CompleteClose(trajectoryKey, slot, itemCount, epoch, priorities.Span);
    }

    /// <summary>Discards an open trajectory and frees its pages.</summary>
    /// <exception cref="GearException">NotFound, FailedPrecondition (closed, closing, or an append in flight).</exception>
    public void Abandon(ulong trajectoryKey)
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            var slot = FindTrajectory(trajectoryKey);
            RequireOpenAndIdle(trajectoryKey, slot, "abandoned");
            ReleaseTrajectory(slot);
        }
    }

    private void ValidateSteps<TColumns>(int stepCount, TColumns columns) where TColumns : IAppendColumns, allows ref struct
    {
        if (stepCount < 1)
            throw GearException.InvalidArgument($"step count {stepCount} must be at least 1");
        var specColumns = Spec.Columns;
        if (columns.Count != specColumns.Count)
            throw GearException.InvalidArgument(
                $"table '{Name}' has {specColumns.Count} columns ({string.Join(", ", specColumns.Select(c => c.Name))}) but {columns.Count} buffers were given");
        for (var c = 0; c < columns.Count; c++)
        {
            var expected = (long)stepCount * specColumns[c].StepBytes;
            if (columns[c].Length != expected)
                throw GearException.InvalidArgument(
                    $"column '{specColumns[c].Name}' got {columns[c].Length} bytes; {stepCount} steps of {specColumns[c]} need {expected}");
        }
    }

    private void RequireOpenAndIdle(ulong key, int slot, string action)
    {
        var state = _trajectories.States[slot];
        if (state != TrajectoryState.Open)
            throw GearException.FailedPrecondition($"trajectory {key} is {state.ToString().ToLowerInvariant()} and cannot be {action}");
        if (_trajectories.Appending[slot])
            throw GearException.FailedPrecondition($"trajectory {key} cannot be {action} while an append to it is in flight");
    }

    /// <summary>
    /// Under the lock: finds the open trajectory and gives it pages for <paramref name="stepCount"/> more steps,
    /// evicting closed items (or waiting for referenced pages to come back) when none are free.
    /// </summary>
    private int ReservePages(ulong key, int stepCount)
    {
        while (true)
        {
            ThrowIfDisposed();
            var slot = FindTrajectory(key);
            RequireOpenAndIdle(key, slot, "appended to");
            var newLength = (long)_trajectories.Lengths[slot] + stepCount;
            if (newLength > int.MaxValue)
                throw GearException.InvalidArgument($"trajectory {key} would exceed {int.MaxValue} steps");
            var pagesNeeded = (int)((newLength + Spec.PageSteps - 1) >> _storage.PageShift);
            // Refused before any eviction: evicting can neither make room the table does not have nor free the
            // pages of other open trajectories.
            var heldByOthers = _openTrajectoryPages - _trajectories.PageCounts[slot];
            if (pagesNeeded > _storage.PageCount - heldByOthers)
                throw GearException.ResourceExhausted(
                    $"trajectory {key} would need {pagesNeeded} pages for its {newLength} steps, but table '{Name}' has {_storage.PageCount} pages " +
                    $"of {Spec.PageSteps} steps and other open trajectories hold {heldByOthers} of them; end trajectories sooner, " +
                    "or give the table more host_capacity_bytes");

            while (_trajectories.PageCounts[slot] < pagesNeeded)
            {
                var page = _storage.TryAllocatePage();
                if (page >= 0)
                {
                    _trajectories.AddPage(slot, page);
                    _openTrajectoryPages++;
                    continue;
                }
                if (!TryEvictOne())
                    break;
            }
            FlushLimiterDeletes();
            if (_trajectories.PageCounts[slot] >= pagesNeeded)
                return slot;
            if (_pagesAwaitingRelease == 0)
                throw GearException.ResourceExhausted(
                    $"table '{Name}' is full: all {_storage.PageCount} pages belong to open trajectories or to trajectory {key} itself; " +
                    "close or abandon some, or give the table more host_capacity_bytes");
            WaitForRelease();
        }
    }

    /// <summary>Under the lock: checks the close and marks the trajectory closing; returns the limiter's reset epoch.</summary>
    private (int Slot, int ItemCount, long Epoch) BeginClose(ulong key, ReadOnlySpan<double> priorities)
    {
        for (var i = 0; i < priorities.Length; i++)
        {
            if (!IsValidPriority(priorities[i]))
                throw InvalidPriority(priorities.Length == 1 ? "priority" : $"priorities[{i}]", priorities[i]);
        }
        lock (_sync)
        {
            ThrowIfDisposed();
            var slot = FindTrajectory(key);
            RequireOpenAndIdle(key, slot, "closed");
            var length = _trajectories.Lengths[slot];
            if (length == 0)
                throw GearException.FailedPrecondition($"trajectory {key} has no steps; append steps first or abandon it");
            var itemCount = !_stepItems ? 1 : length;
            if (priorities.Length != 1 && (!_stepItems || priorities.Length != length))
                throw GearException.InvalidArgument(!_stepItems
                    ? $"table '{Name}' has trajectory items: give one priority, not {priorities.Length}"
                    : $"trajectory {key} has {length} steps: give one priority for all of them or one per step, not {priorities.Length}");
            _trajectories.States[slot] = TrajectoryState.Closing;
            return (slot, itemCount, _limiter.Resets);
        }
    }

    private void AbortClose(int slot, long epoch)
    {
        lock (_sync)
        {
            if (epoch == _limiter.Resets && _trajectories.States[slot] == TrajectoryState.Closing)
                _trajectories.States[slot] = TrajectoryState.Open;
        }
    }

    private long CompleteClose(ulong key, int slot, int itemCount, long epoch, ReadOnlySpan<double> priorities)
    {
        lock (_sync)
        {
            if (_disposed || epoch != _limiter.Resets || _trajectories.States[slot] != TrajectoryState.Closing)
            {
                // Reset or disposal removed it after the limiter counted the insert; a reset also zeroed that
                // count, so there is nothing to give back.
                throw GearException.NotFound($"trajectory {key} was removed from table '{Name}' while its close waited on the rate limiter");
            }

            if (!_stepItems)
            {
                _items.Add(slot, _trajectories.Generations[slot], slot, 0);
                _sampler.Insert(slot, priorities[0]);
                _remover.Insert(slot, priorities[0]);
            }
            else
            {
                // Page by page: a page's step items are consecutive slots, which the selectors and the
                // records take as one run (bitmap words, tree nodes and list links touched once per run).
                var pages = _trajectories.PageTables[slot];
                var pageSteps = Spec.PageSteps;
                // One priority for every step: a page-long span of it, shared by all runs.
                var sharedPriority = priorities.Length == 1 ? ScratchPriorities(pageSteps)[..pageSteps] : [];
                sharedPriority.Fill(priorities[0]);
                for (var firstStep = 0; firstStep < itemCount; firstStep += pageSteps)
                {
                    var count = Math.Min(pageSteps, itemCount - firstStep);
                    var firstSlot = ItemSlotOf(pages, firstStep);
                    var runPriorities = priorities.Length == 1 ? sharedPriority[..count] : priorities.Slice(firstStep, count);
                    _items.AddRun(firstSlot, count, slot, firstStep);
                    _sampler.InsertRun(firstSlot, runPriorities);
                    _remover.InsertRun(firstSlot, runPriorities);
                }
                // The item records' streaming stores, made visible before the lock is let go (one fence per
                // close: each waits for the write-combining buffers to drain).
                StreamingCopy.Fence();
            }
            _trajectories.LiveItems[slot] = itemCount;
            _trajectories.States[slot] = TrajectoryState.Closed;
            _openTrajectoryPages -= _trajectories.PageCounts[slot];
            _itemsInserted += itemCount;
            return ++_logSequence;
        }
    }
}
