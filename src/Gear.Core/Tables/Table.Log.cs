using Gear.Core.Errors;
using Gear.Core.Storage;

namespace Gear.Core.Tables;

/// <summary>What a write-ahead log needs from a table: an order for mutations, the steps of a trajectory
/// about to be committed, and a way to re-apply logged commits.</summary>
public sealed partial class Table
{
    /// <summary>
    /// The number of the last logged mutation (commit, delete or reset). Each such mutation takes the next number
    /// under the table's lock, so the numbers order them as they happened, and a snapshot records the number it
    /// includes: a log replayed over a snapshot applies exactly the mutations numbered after it. Never decreases.
    /// </summary>
    public long LogSequence
    {
        get
        {
            lock (_sync)
            {
                return _logSequence;
            }
        }
    }

    /// <summary>The number of steps appended so far to an open trajectory.</summary>
    /// <exception cref="GearException">NotFound, FailedPrecondition (not open, or an append in flight).</exception>
    public int OpenLength(ulong trajectoryKey)
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            var slot = FindTrajectory(trajectoryKey);
            RequireOpenAndIdle(trajectoryKey, slot, "read");
            return _trajectories.Lengths[slot];
        }
    }

    /// <summary>
    /// Copies the first <paramref name="stepCount"/> steps of an open trajectory into <paramref name="destination"/>,
    /// column after column (each column's steps contiguous, as <see cref="Append(ulong, int, ReadOnlySpan{ReadOnlyMemory{byte}})"/> takes them). The caller must be
    /// the trajectory's only writer, as an actor's insert stream is.
    /// </summary>
    /// <exception cref="GearException">NotFound, FailedPrecondition, or InvalidArgument when the trajectory is shorter
    /// than <paramref name="stepCount"/> or the destination too small.</exception>
    public unsafe void CopyOpenSteps(ulong trajectoryKey, int stepCount, Span<byte> destination)
    {
        var bytes = stepCount * Spec.StepBytes;
        if (destination.Length < bytes)
            throw GearException.InvalidArgument($"{stepCount} steps of table '{Name}' need {bytes} bytes, not {destination.Length}");

        int slot;
        lock (_sync)
        {
            ThrowIfDisposed();
            slot = FindTrajectory(trajectoryKey);
            RequireOpenAndIdle(trajectoryKey, slot, "read");
            if (_trajectories.Lengths[slot] < stepCount)
                throw GearException.InvalidArgument($"trajectory {trajectoryKey} has {_trajectories.Lengths[slot]} steps, not {stepCount}");
            // Referenced, its pages stay ours to read even if a reset releases the trajectory meanwhile.
            _trajectories.References[slot]++;
        }
        try
        {
            var pages = _trajectories.PageTables[slot];
            var at = 0;
            for (var column = 0; column < _storage.ColumnCount; column++)
            {
                var stepBytes = _storage.StepBytes(column);
                for (var first = 0; first < stepCount; first += Spec.PageSteps)
                {
                    var run = Math.Min(Spec.PageSteps, stepCount - first) * stepBytes;
                    new ReadOnlySpan<byte>(_storage.StepAddress(column, pages[first >> _storage.PageShift], 0), run)
                        .CopyTo(destination.Slice(at, run));
                    at += run;
                }
            }
        }
        finally
        {
            lock (_sync)
                DropReference(slot);
        }
    }

    /// <summary>
    /// Re-applies a logged commit: opens a trajectory, appends <paramref name="stepCount"/> steps and closes it with
    /// <paramref name="priorities"/>, counting the insert in the rate limiter without waiting on it (the original
    /// commit already passed it). Afterwards <see cref="LogSequence"/> is at least <paramref name="logSequence"/>.
    /// Returns the new item's trajectory key.
    /// </summary>
    /// <exception cref="GearException">As <see cref="Append(ulong, int, ReadOnlySpan{ReadOnlyMemory{byte}})"/> and <see cref="Close(ulong, ReadOnlySpan{double}, TimeSpan, CancellationToken)"/>.</exception>
    public ulong CommitRecovered(int stepCount, ReadOnlySpan<ReadOnlyMemory<byte>> columns, ReadOnlySpan<double> priorities, long logSequence)
    {
        var key = OpenTrajectory();
        try
        {
            Append(key, stepCount, columns);
            var (slot, itemCount, epoch) = BeginClose(key, priorities);
            _limiter.RecordRecoveredInsert(itemCount);
            CompleteClose(key, slot, itemCount, epoch, priorities);
        }
        catch
        {
            TryAbandon(key);
            throw;
        }
        AdvanceLogSequence(logSequence);
        return key;
    }

    /// <summary>Raises <see cref="LogSequence"/> to <paramref name="logSequence"/> (after a replayed delete or reset).</summary>
    public void AdvanceLogSequence(long logSequence)
    {
        lock (_sync)
            _logSequence = Math.Max(_logSequence, logSequence);
    }

    private void TryAbandon(ulong key)
    {
        lock (_sync)
        {
            if (_trajectories.TryFind(key, out var slot) && _trajectories.States[slot] is TrajectoryState.Open or TrajectoryState.Closing)
                ReleaseTrajectory(slot);
        }
    }
}
