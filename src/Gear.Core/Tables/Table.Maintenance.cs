using Gear.Core.Errors;

namespace Gear.Core.Tables;

public sealed partial class Table
{
    /// <summary>
    /// Sets new priorities for items by key, as one batch. Keys no longer in the table (evicted, retired,
    /// deleted) are ignored and counted. Every priority is validated before any is applied.
    /// </summary>
    /// <exception cref="GearException">InvalidArgument for mismatched lengths or an invalid priority.</exception>
    public KeyedResult UpdatePriorities(ReadOnlySpan<ulong> keys, ReadOnlySpan<double> priorities)
    {
        if (keys.Length != priorities.Length)
            throw GearException.InvalidArgument($"{keys.Length} keys but {priorities.Length} priorities were given");
        for (var i = 0; i < priorities.Length; i++)
        {
            if (!IsValidPriority(priorities[i]))
                throw InvalidPriority($"priorities[{i}] (key {keys[i]})", priorities[i]);
        }

        lock (_sync)
        {
            ThrowIfDisposed();
            PrefetchItems(keys);
            // Collect the live items, then hand them to the selectors as one batch (the sum tree recomputes each
            // shared ancestor once).
            var slots = ScratchSlots(keys.Length);
            var applying = ScratchPriorities(keys.Length);
            var applied = 0;
            for (var i = 0; i < keys.Length; i++)
            {
                if (!_items.TryFind(keys[i], out var slot))
                    continue;
                slots[applied] = slot;
                applying[applied] = priorities[i];
                applied++;
            }
            if (_sampler.UsesPriorities)
                _sampler.UpdateBatch(slots[..applied], applying[..applied]);
            if (_remover.UsesPriorities)
                _remover.UpdateBatch(slots[..applied], applying[..applied]);
            _ignoredPriorityUpdates += keys.Length - applied;
            return new KeyedResult(applied, keys.Length - applied);
        }
    }

    /// <summary>Removes items by key. Keys not in the table are ignored and counted.</summary>
    public KeyedResult Delete(ReadOnlySpan<ulong> keys) => Delete(keys, out _);

    /// <summary>
    /// Removes items by key, and gives the delete's log sequence number (see <see cref="LogSequence"/>). Keys not
    /// in the table are ignored and counted.
    /// </summary>
    public KeyedResult Delete(ReadOnlySpan<ulong> keys, out long logSequence)
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            var deleted = 0;
            for (var i = 0; i < keys.Length; i++)
            {
                if (!_items.TryFind(keys[i], out var slot))
                    continue;
                RemoveItem(slot);
                deleted++;
            }
            _itemsDeleted += deleted;
            _ignoredDeletes += keys.Length - deleted;
            FlushLimiterDeletes();
            logSequence = ++_logSequence;
            return new KeyedResult(deleted, keys.Length - deleted);
        }
    }

    /// <summary>
    /// Empties the table: every item and every trajectory, open ones included (their later appends and closes
    /// fail with NotFound), and resets the rate limiter's counters, as Reverb's Reset does. Returns the reset's
    /// log sequence number (see <see cref="LogSequence"/>).
    /// </summary>
    public long Reset()
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            for (var slot = 0; slot < _trajectories.Capacity; slot++)
            {
                switch (_trajectories.States[slot])
                {
                    case TrajectoryState.Closed:
                        RemoveItemsOf(slot);
                        break;
                    case TrajectoryState.Open or TrajectoryState.Closing:
                        ReleaseTrajectory(slot);
                        break;
                }
            }
            _pendingLimiterDeletes = 0;
            _limiter.Reset();
            return ++_logSequence;
        }
    }
}

/// <summary>How many keys of a batch were applied, and how many were ignored because they are gone.</summary>
public readonly record struct KeyedResult(int Applied, int Ignored);
