using System.Numerics;
using Gear.Core.Compute;
using Gear.Core.Errors;
using Gear.Core.RateLimiting;
using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Selection;
using Gear.Core.Storage;

namespace Gear.Core.Tables;

/// <summary>
/// A replay table: trajectories appended step by step into paged columnar storage, closed into items with
/// priorities, sampled as windows through a selector and a rate limiter, evicted by a remover when room is
/// needed. Safe for many concurrent actors, samplers and priority updaters.
/// </summary>
/// <remarks>
/// One lock guards the metadata (slots, selectors, page lists); it is never held while step data is copied.
/// Appends reserve pages under the lock and copy outside it; samples select under the lock, take a reference
/// on each window's trajectory, gather outside it, then drop the references. A trajectory removed while
/// referenced keeps its pages until the last reference goes, so a gather never reads recycled pages.
/// Rate-limiter waits happen outside the lock.
/// </remarks>
public sealed partial class Table : IDisposable
{
    private readonly object _sync = new();
    private readonly IComputeBackend _backend;
    private readonly PagedStorage _storage;
    private readonly TrajectoryTable _trajectories;
    private readonly ItemTable _items;
    private readonly IItemSelector _sampler;
    private readonly IItemSelector _remover;
    private readonly RateLimiter _limiter;
    private readonly RandomStream _removerRandom;
    private readonly bool _stepItems;
    private readonly double _maxPriority;

    private int _pagesAwaitingRelease;
    private int _openTrajectoryPages; // held by open and closing trajectories: no eviction frees them
    private int _slotsAwaitingRelease;
    private int _pendingLimiterDeletes;
    private bool _disposed;
    private int[] _scratchSlots = new int[256];
    private double[] _scratchPriorities = new double[256];

    private long _itemsInserted;
    private long _windowsSampled;
    private long _itemsEvicted;
    private long _itemsRetired;
    private long _itemsDeleted;
    private long _ignoredPriorityUpdates;
    private long _ignoredDeletes;
    private long _logSequence;

    /// <summary>Creates a table: validates the spec and allocates all of its storage once.</summary>
    /// <exception cref="GearException">InvalidArgument when the spec is invalid.</exception>
    public Table(TableSpec spec, IComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(backend);
        var layout = spec.Validate();
        Spec = spec;
        _backend = backend;
        _limiter = new RateLimiter(spec.RateLimiter);
        _trajectories = new TrajectoryTable(spec.MaxTrajectories);
        _stepItems = spec.Granularity == ItemGranularity.Step;
        // A page's step items become items together, so they share a generation (see ItemTable).
        _items = new ItemTable(layout.ItemSlots, _stepItems ? BitOperations.Log2((uint)spec.PageSteps) : 0);
        _sampler = backend.SamplingSelector(ItemSelectors.Create(spec.Sampler, layout.ItemSlots, spec.PriorityExponent, backend));
        _remover = ItemSelectors.Create(spec.Remover, layout.ItemSlots, spec.PriorityExponent, backend);
        _removerRandom = new RandomStream(spec.RemoverSeed);
        _maxPriority = Math.Min(double.MaxValue, PrioritizedSelector.MaxPriority(spec.PriorityExponent));
        _storage = new PagedStorage(spec.Columns, spec.PageSteps, layout.PageCount, spec.DeviceCapacityBytes);
    }

    /// <summary>The spec the table was created from.</summary>
    public TableSpec Spec { get; }

    /// <summary>The table's name.</summary>
    public string Name => Spec.Name;

    /// <summary>A consistent snapshot of the table's sizes, memory and counters.</summary>
    public TableInfo GetInfo()
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            var open = 0;
            var closed = 0;
            long storedSteps = 0;
            for (var slot = 0; slot < _trajectories.Capacity; slot++)
            {
                var state = _trajectories.States[slot];
                if (state is TrajectoryState.Open or TrajectoryState.Closing)
                    open++;
                else if (state == TrajectoryState.Closed)
                    closed++;
                if (state != TrajectoryState.Free)
                    storedSteps += _trajectories.Lengths[slot];
            }
            return new TableInfo(
                Name,
                ItemCount: _items.Count,
                OpenTrajectories: open,
                ClosedTrajectories: closed,
                StoredSteps: storedSteps,
                BytesReserved: _storage.BytesReserved,
                BytesUsed: _storage.BytesUsed,
                PagesTotal: _storage.PageCount,
                PagesFree: _storage.PagesFree,
                ItemsInserted: _itemsInserted,
                WindowsSampled: _windowsSampled,
                ItemsEvicted: _itemsEvicted,
                ItemsRetired: _itemsRetired,
                ItemsDeleted: _itemsDeleted,
                IgnoredPriorityUpdates: _ignoredPriorityUpdates,
                IgnoredDeletes: _ignoredDeletes,
                SelectionMass: _sampler.SelectionMass,
                RateLimiter: _limiter.Snapshot(),
                DeviceBytesReserved: _storage.DeviceTierBytes,
                DeviceBytesUsed: _storage.DeviceTierBytesUsed);
        }
    }

    /// <summary>
    /// Frees the table's memory. Waiting callers fail with Unavailable; no call may be in flight or follow.
    /// </summary>
    public void Dispose()
    {
        lock (_sync)
        {
            if (_disposed)
                return;
            _disposed = true;
            _limiter.Dispose();
            (_sampler as IDisposable)?.Dispose();
            (_remover as IDisposable)?.Dispose();
            _storage.Dispose();
            _items.Dispose();
            Monitor.PulseAll(_sync);
        }
    }

    private void ThrowIfDisposed()
    {
        if (_disposed)
            throw GearException.Unavailable($"table '{Name}' is closed");
    }

    private int FindTrajectory(ulong key)
    {
        if (!_trajectories.TryFind(key, out var slot))
            throw GearException.NotFound($"trajectory {key} is not in table '{Name}' (never opened, closed and since removed, or abandoned)");
        return slot;
    }

    /// <summary>
    /// Makes room by evicting the remover's choice: the whole trajectory its item belongs to (pages belong to
    /// trajectories, so evicting a single step item would free nothing). False if nothing is evictable.
    /// </summary>
    private bool TryEvictOne()
    {
        if (_remover.Count == 0)
            return false;
        Span<double> uniform = [_removerRandom.NextDouble()];
        Span<int> victim = [0];
        Span<double> probability = [0];
        _remover.Select(uniform, victim, probability);
        var trajectory = _items[victim[0]].Trajectory;
        _itemsEvicted += RemoveItemsOf(trajectory);
        return true;
    }

    /// <summary>Removes every live item of a closed trajectory (which releases it). Returns how many.</summary>
    private int RemoveItemsOf(int trajectory)
    {
        if (!_stepItems)
        {
            RemoveItem(trajectory);
            return 1;
        }

        var length = _trajectories.Lengths[trajectory];
        var pages = _trajectories.PageTables[trajectory];
        var pageSteps = Spec.PageSteps;
        var removed = 0;
        if (_trajectories.LiveItems[trajectory] == length)
        {
            // The usual case, every step still live: page by page, each page's items one run of slots.
            for (var firstStep = 0; firstStep < length; firstStep += pageSteps)
            {
                var count = Math.Min(pageSteps, length - firstStep);
                var firstSlot = ItemSlotOf(pages, firstStep);
                _sampler.RemoveRun(firstSlot, count);
                _remover.RemoveRun(firstSlot, count);
                _items.RemoveRun(firstSlot, count);
            }
            removed = length;
        }
        else
        {
            // Some were retired or deleted: remove the rest one by one.
            for (var step = 0; step < length; step++)
            {
                var slot = ItemSlotOf(pages, step);
                if (!_items.IsLive(slot))
                    continue;
                _sampler.Remove(slot);
                _remover.Remove(slot);
                _items.Remove(slot);
                removed++;
            }
        }
        _pendingLimiterDeletes += removed;
        _trajectories.LiveItems[trajectory] = 0;
        ReleaseTrajectory(trajectory);
        return removed;
    }

    /// <summary>
    /// The item slot of step <paramref name="step"/> of a trajectory with page table <paramref name="pages"/>:
    /// for step items the slot is the step's physical position, page × page steps + offset.
    /// </summary>
    private int ItemSlotOf(int[] pages, int step) =>
        pages[step >> _storage.PageShift] * Spec.PageSteps + (step & (Spec.PageSteps - 1));

    /// <summary>Removes one item from the selectors and the index; releases its trajectory with its last item.</summary>
    private void RemoveItem(int slot)
    {
        var trajectory = _items[slot].Trajectory;
        _sampler.Remove(slot);
        _remover.Remove(slot);
        _items.Remove(slot);
        _pendingLimiterDeletes++;
        if (--_trajectories.LiveItems[trajectory] == 0)
            ReleaseTrajectory(trajectory);
    }

    /// <summary>Takes a trajectory out of the table; frees its pages now or when its last reference drops.</summary>
    private void ReleaseTrajectory(int trajectory)
    {
        if (_trajectories.States[trajectory] is TrajectoryState.Open or TrajectoryState.Closing)
            _openTrajectoryPages -= _trajectories.PageCounts[trajectory];
        _trajectories.MarkReleased(trajectory);
        if (_trajectories.References[trajectory] == 0)
            FreeTrajectory(trajectory);
        else
        {
            _pagesAwaitingRelease += _trajectories.PageCounts[trajectory];
            _slotsAwaitingRelease++;
        }
    }

    private void FreeTrajectory(int trajectory)
    {
        var pages = _trajectories.PageTables[trajectory];
        for (var i = 0; i < _trajectories.PageCounts[trajectory]; i++)
            _storage.FreePage(pages[i]);
        _trajectories.Free(trajectory);
        Monitor.PulseAll(_sync);
    }

    /// <summary>Drops one reference; frees a released trajectory with its last reference.</summary>
    private void DropReference(int trajectory)
    {
        if (--_trajectories.References[trajectory] == 0 && _trajectories.States[trajectory] == TrajectoryState.Released)
        {
            _pagesAwaitingRelease -= _trajectories.PageCounts[trajectory];
            _slotsAwaitingRelease--;
            FreeTrajectory(trajectory);
        }
    }

    /// <summary>A slot buffer of at least <paramref name="length"/>, kept across calls (used under the lock).</summary>
    private Span<int> ScratchSlots(int length)
    {
        if (_scratchSlots.Length < length)
            _scratchSlots = new int[Math.Max(length, _scratchSlots.Length * 2)];
        return _scratchSlots;
    }

    private Span<double> ScratchPriorities(int length)
    {
        if (_scratchPriorities.Length < length)
            _scratchPriorities = new double[Math.Max(length, _scratchPriorities.Length * 2)];
        return _scratchPriorities;
    }

    /// <summary>Tells the rate limiter about items removed during the current locked operation.</summary>
    private void FlushLimiterDeletes()
    {
        if (_pendingLimiterDeletes > 0)
        {
            _limiter.RecordDelete(_pendingLimiterDeletes);
            _pendingLimiterDeletes = 0;
        }
    }

    /// <summary>
    /// Blocks (releasing the lock) until some referenced, released trajectory frees its pages or slot.
    /// Callers re-validate everything after it returns, since the table may have changed meanwhile.
    /// </summary>
    private void WaitForRelease()
    {
        Monitor.Wait(_sync);
        ThrowIfDisposed();
    }

    /// <summary>Finite, not negative, and (for α &gt; 1) small enough that p^α stays finite.</summary>
    private bool IsValidPriority(double priority) => priority >= 0 && priority <= _maxPriority;

    /// <summary>The error for an invalid priority; <paramref name="name"/> says which one (built only on failure).</summary>
    private GearException InvalidPriority(string name, double priority) =>
        GearException.InvalidArgument(double.IsFinite(_maxPriority) && double.IsFinite(priority) && priority > 0
            ? $"{name} {priority} is invalid: with priority_exponent {Spec.PriorityExponent} priorities may be at most {_maxPriority:G6}"
            : $"{name} {priority} is invalid: priorities must be finite and not negative");
}
