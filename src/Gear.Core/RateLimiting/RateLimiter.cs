using System.Globalization;
using Gear.Core.Errors;

namespace Gear.Core.RateLimiting;

/// <summary>
/// Blocks inserts and samples of one table so that the ratio between them follows a <see cref="RateLimiterSpec"/>,
/// with Reverb's semantics (reverb/cc/rate_limiter.h and rate_limiter.cc).
/// </summary>
/// <remarks>
/// <para>
/// State, as in Reverb: three counters, <c>inserts</c>, <c>samples</c> and <c>deletes</c>, all starting at zero;
/// <c>size = inserts − deletes</c>; <c>diff = inserts × samples_per_insert − samples</c>.
/// </para>
/// <list type="bullet">
/// <item><description>
/// <c>CanSample(n)</c> ⇔ <c>size ≥ min_size_to_sample</c> ∧ <c>inserts × samples_per_insert − samples − n ≥ min_diff</c>.
/// </description></item>
/// <item><description>
/// <c>CanInsert(n)</c> ⇔ <c>inserts + n − deletes ≤ min_size_to_sample</c> ∨
/// <c>(inserts + n) × samples_per_insert − samples ≤ max_diff</c>.
/// </description></item>
/// <item><description>
/// An acquisition of n inserts (samples) waits until <c>CanInsert(n)</c> (<c>CanSample(n)</c>) holds and then adds n to
/// <c>inserts</c> (<c>samples</c>) in the same critical section, so a batch is checked against the state it leaves
/// behind. Reverb takes one sample per check; a batch of n here is the same as n single samples taken back to back
/// with nothing in between, all or none.
/// </description></item>
/// <item><description>
/// <see cref="RecordDelete"/> adds to <c>deletes</c> (Reverb's <c>Delete</c>: deleted, evicted, or retired by
/// max_times_sampled). Deletes change only <c>size</c>: they re-open the free insert window below
/// min_size_to_sample and can block samples again, but never move the diff.
/// </description></item>
/// <item><description>
/// <see cref="Reset"/> sets all three counters to zero, as Reverb does when its table is reset.
/// </description></item>
/// </list>
/// <para>
/// Where Gear goes beyond Reverb: waiters of one kind are served in FIFO order, and a new request of a kind that has
/// waiters queues behind them even if it could pass on its own (so a large batch cannot be starved by a stream of
/// small ones). Reverb's condition variables make no such promise. Every state change (insert, sample, delete,
/// returned acquisition, reset, a waiter leaving) re-evaluates the queue heads and grants every waiter that may now
/// proceed; nothing else is woken. Continuations never run under the lock.
/// </para>
/// <para>
/// Thread-safe. The fast path (allowed at once, nobody queued) allocates nothing; a waiter is allocated only when a
/// call must actually wait.
/// </para>
/// </remarks>
public sealed class RateLimiter : IDisposable
{
    // Timer's largest finite due time; longer timeouts are treated as infinite.
    private const double MaxTimerMilliseconds = uint.MaxValue - 1.0;

    private readonly Lock _lock = new();
    private readonly double _samplesPerInsert;
    private readonly long _minSizeToSample;
    private readonly double _minDiff;
    private readonly double _maxDiff;
    private readonly WaitQueue _inserters = new();
    private readonly WaitQueue _samplers = new();

    private long _inserts;
    private long _samples;
    private long _deletes;
    private long _resets;

    private const long AnyEpoch = -1;
    private bool _closed;

    /// <summary>Creates a limiter with all counters at zero.</summary>
    /// <exception cref="GearException">InvalidArgument when the spec is invalid (see <see cref="RateLimiterSpec.Validate"/>).</exception>
    public RateLimiter(RateLimiterSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec.Validate();
        _samplesPerInsert = spec.SamplesPerInsert;
        _minSizeToSample = spec.MinSizeToSample;
        _minDiff = spec.MinDiff;
        _maxDiff = spec.MaxDiff;
    }

    /// <summary>
    /// Creates a limiter with restored counters (Reverb restores inserts, samples and deletes from a checkpoint).
    /// </summary>
    /// <exception cref="GearException">InvalidArgument when a counter is negative or deletes exceed inserts.</exception>
    public RateLimiter(RateLimiterSpec spec, long inserts, long samples, long deletes)
        : this(spec)
    {
        if (inserts < 0 || samples < 0 || deletes < 0 || deletes > inserts)
        {
            throw GearException.InvalidArgument(
                $"rate limiter counters must be >= 0 with deletes <= inserts, got inserts {inserts}, samples {samples}, " +
                $"deletes {deletes}");
        }

        _inserts = inserts;
        _samples = samples;
        _deletes = deletes;
    }

    /// <summary>The spec this limiter enforces.</summary>
    public RateLimiterSpec Spec { get; }

    /// <summary>Whether <see cref="Close"/> (or <see cref="Dispose"/>) has been called.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_lock)
            {
                return _closed;
            }
        }
    }

    /// <summary>
    /// Waits until <paramref name="count"/> inserts are allowed, then counts them (atomically with the check).
    /// </summary>
    /// <param name="count">Inserts to acquire, ≥ 1.</param>
    /// <param name="timeout">How long to wait: <see cref="Timeout.InfiniteTimeSpan"/> for no deadline,
    /// <see cref="TimeSpan.Zero"/> to try once.</param>
    /// <param name="cancellationToken">Cancels the wait (OperationCanceledException; nothing counted).</param>
    /// <returns>A completed task on the fast path; otherwise one that completes when the inserts are counted. It
    /// faults with <see cref="GearException"/> DeadlineExceeded when the timeout passes, Unavailable when the limiter
    /// is closed; nothing is counted then.</returns>
    public ValueTask AcquireInsertAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default)
        => AcquireAsync(insert: true, count, timeout, cancellationToken);

    /// <summary>The same as <see cref="AcquireInsertAsync(int, TimeSpan, CancellationToken)"/> for samples.</summary>
    public ValueTask AcquireSampleAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default)
        => AcquireAsync(insert: false, count, timeout, cancellationToken);

    /// <summary>
    /// Synchronous <see cref="AcquireInsertAsync(int, TimeSpan, CancellationToken)"/>: blocks the calling thread until the inserts are counted, and
    /// throws what the task would fault with.
    /// </summary>
    public void AcquireInsert(int count, TimeSpan timeout, CancellationToken cancellationToken = default)
        => Acquire(insert: true, count, timeout, cancellationToken);

    /// <summary>Synchronous <see cref="AcquireSampleAsync"/>.</summary>
    public void AcquireSample(int count, TimeSpan timeout, CancellationToken cancellationToken = default)
        => Acquire(insert: false, count, timeout, cancellationToken);

    /// <summary>
    /// Counts <paramref name="count"/> inserts if that is allowed now and no insert is waiting; otherwise returns false
    /// and counts nothing. Never blocks.
    /// </summary>
    /// <exception cref="GearException">Unavailable when the limiter is closed; InvalidArgument when count &lt; 1.</exception>
    public bool TryAcquireInsert(int count) => TryAcquire(insert: true, count);

    /// <summary>The same as <see cref="TryAcquireInsert"/> for samples.</summary>
    public bool TryAcquireSample(int count) => TryAcquire(insert: false, count);

    /// <summary>Reverb's <c>CanInsert(count)</c> on the current counters (queued waiters are not considered).</summary>
    public bool CanInsert(int count)
    {
        ValidateCount(count);
        lock (_lock)
        {
            return CanInsertLocked(count);
        }
    }

    /// <summary>Reverb's <c>CanSample(count)</c> on the current counters (queued waiters are not considered).</summary>
    public bool CanSample(int count)
    {
        ValidateCount(count);
        lock (_lock)
        {
            return CanSampleLocked(count);
        }
    }

    /// <summary>
    /// Undoes <paramref name="count"/> acquired inserts that the table could not use (the item was not stored).
    /// </summary>
    /// <exception cref="GearException">InvalidArgument when count &lt; 1 or more than inserts − deletes.</exception>
    public void ReturnInsert(int count)
    {
        ValidateCount(count);
        Waiter? done;
        lock (_lock)
        {
            if (count > _inserts - _deletes)
            {
                throw GearException.InvalidArgument(
                    $"cannot return count {count} inserts: only {_inserts - _deletes} counted inserts are not deleted");
            }

            _inserts -= count;
            done = GrantLocked();
        }

        Complete(done);
    }

    /// <summary>Undoes <paramref name="count"/> acquired samples that the table could not use (e.g. it was empty).</summary>
    /// <exception cref="GearException">InvalidArgument when count &lt; 1 or more than the samples counted.</exception>
    public void ReturnSample(int count)
    {
        ValidateCount(count);
        Waiter? done;
        lock (_lock)
        {
            if (count > _samples)
            {
                throw GearException.InvalidArgument(
                    $"cannot return count {count} samples: only {_samples} samples are counted");
            }

            _samples -= count;
            done = GrantLocked();
        }

        Complete(done);
    }

    /// <summary>
    /// Records that <paramref name="count"/> items left the table (deleted, evicted, or retired by max_times_sampled),
    /// as Reverb's <c>RateLimiter::Delete</c>.
    /// </summary>
    /// <exception cref="GearException">InvalidArgument when count &lt; 1 or more than the items the limiter counts.</exception>
    public void RecordDelete(int count)
    {
        ValidateCount(count);
        Waiter? done;
        lock (_lock)
        {
            if (count > _inserts - _deletes)
            {
                throw GearException.InvalidArgument(
                    $"cannot record count {count} deletes: the rate limiter counts only {_inserts - _deletes} items");
            }

            _deletes += count;
            done = GrantLocked();
        }

        Complete(done);
    }

    /// <summary>
    /// Sets inserts, samples and deletes back to zero (Reverb's <c>Reset</c>, called when the table is reset) and
    /// re-evaluates the waiting samples. Waiting inserts fail with FailedPrecondition: what they would insert
    /// belonged to the table before the reset, and counting it afterwards would leave the limiter believing in
    /// items the table does not hold.
    /// </summary>
    public void Reset()
    {
        Waiter? failed = null;
        Waiter? last = null;
        Waiter? granted;
        lock (_lock)
        {
            _resets++;
            _inserts = 0;
            _samples = 0;
            _deletes = 0;
            DrainLocked(_inserters, WaiterState.Reset, ref failed, ref last);
            granted = GrantLocked();
        }

        Complete(failed);
        Complete(granted);
    }

    /// <summary>How many times <see cref="Reset"/> has been called: an acquisition made for one epoch can name it.</summary>
    public long Resets
    {
        get
        {
            lock (_lock)
            {
                return _resets;
            }
        }
    }

    /// <summary>
    /// <see cref="AcquireInsert(int, TimeSpan, CancellationToken)"/> that fails (FailedPrecondition, nothing counted)
    /// unless the limiter is still in reset epoch <paramref name="resets"/>: an insert prepared before a reset is
    /// never counted after it.
    /// </summary>
    public void AcquireInsert(int count, long resets, TimeSpan timeout, CancellationToken cancellationToken = default)
        => Acquire(insert: true, count, timeout, cancellationToken, resets);

    /// <summary>The asynchronous form of <see cref="AcquireInsert(int, long, TimeSpan, CancellationToken)"/>.</summary>
    public ValueTask AcquireInsertAsync(int count, long resets, TimeSpan timeout, CancellationToken cancellationToken = default)
        => AcquireAsync(insert: true, count, timeout, cancellationToken, resets);

    /// <summary>
    /// Counts <paramref name="count"/> inserts without waiting: a commit replayed from a write-ahead log, which
    /// passed the limiter when it first happened.
    /// </summary>
    internal void RecordRecoveredInsert(int count)
    {
        ValidateCount(count);
        Waiter? done;
        lock (_lock)
        {
            _inserts += count;
            done = GrantLocked();
        }

        Complete(done);
    }

    /// <summary>Sets the counters (from a checkpoint), before any caller uses the limiter.</summary>
    internal void RestoreCounters(long inserts, long samples, long deletes)
    {
        lock (_lock)
        {
            _inserts = inserts;
            _samples = samples;
            _deletes = deletes;
        }
    }

    /// <summary>A consistent snapshot of the counters and queues.</summary>
    public RateLimiterState Snapshot()
    {
        lock (_lock)
        {
            return new RateLimiterState(
                _inserts,
                _samples,
                _deletes,
                _inserts - _deletes,
                _inserters.Count,
                _samplers.Count,
                CanInsertLocked(1),
                CanSampleLocked(1));
        }
    }

    /// <summary>
    /// Fails every waiting acquisition, and every later one, with <see cref="GearException"/> Unavailable
    /// ("table closed"). Counters stay readable; returns, deletes and resets are still accepted. Idempotent.
    /// </summary>
    public void Close()
    {
        Waiter? first = null;
        Waiter? last = null;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            DrainLocked(_inserters, WaiterState.Closed, ref first, ref last);
            DrainLocked(_samplers, WaiterState.Closed, ref first, ref last);
        }

        Complete(first);
    }

    /// <summary>The same as <see cref="Close"/>.</summary>
    public void Dispose() => Close();

    /// <inheritdoc />
    public override string ToString()
    {
        RateLimiterState s = Snapshot();
        return $"RateLimiter(samples_per_insert {RateLimiterSpec.Format(_samplesPerInsert)}, min_size_to_sample " +
               $"{_minSizeToSample}, min_diff {RateLimiterSpec.Format(_minDiff)}, max_diff " +
               $"{RateLimiterSpec.Format(_maxDiff)}; inserts {s.Inserts}, samples {s.Samples}, deletes {s.Deletes})";
    }

    private ValueTask AcquireAsync(bool insert, int count, TimeSpan timeout, CancellationToken cancellationToken, long resets = AnyEpoch)
    {
        ValidateCount(count);
        ValidateTimeout(timeout);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        Waiter? waiter = Begin(insert, count, timeout, resets, out Exception? failure);
        if (waiter is not null)
        {
            Arm(waiter, timeout, cancellationToken);
            return new ValueTask(waiter.Task);
        }

        return failure is null ? default : ValueTask.FromException(failure);
    }

    private void Acquire(bool insert, int count, TimeSpan timeout, CancellationToken cancellationToken, long resets = AnyEpoch)
    {
        ValidateCount(count);
        ValidateTimeout(timeout);
        cancellationToken.ThrowIfCancellationRequested();
        Waiter? waiter = Begin(insert, count, timeout, resets, out Exception? failure);
        if (waiter is not null)
        {
            Arm(waiter, timeout, cancellationToken);
            waiter.Task.GetAwaiter().GetResult();
            return;
        }

        if (failure is not null)
        {
            throw failure;
        }
    }

    private bool TryAcquire(bool insert, int count)
    {
        ValidateCount(count);
        Waiter? done;
        lock (_lock)
        {
            if (_closed)
            {
                throw Closed();
            }

            if (!TryTakeLocked(insert, count))
            {
                return false;
            }

            done = GrantLocked();
        }

        Complete(done);
        return true;
    }

    /// <summary>
    /// Takes the acquisition at once if allowed (returns null, failure null), fails it at once (null, failure set),
    /// or queues a waiter and returns it (to be armed outside the lock).
    /// </summary>
    private Waiter? Begin(bool insert, int count, TimeSpan timeout, long resets, out Exception? failure)
    {
        failure = null;
        Waiter? done;
        lock (_lock)
        {
            if (_closed)
            {
                failure = Closed();
                return null;
            }

            if (resets != AnyEpoch && resets != _resets)
            {
                failure = ResetMeanwhile();
                return null;
            }

            if (!TryTakeLocked(insert, count))
            {
                if (timeout == TimeSpan.Zero)
                {
                    failure = GearException.DeadlineExceeded(DescribeBlockedLocked(insert, count, timeout, ahead: Queue(insert).Count));
                    return null;
                }

                var waiter = new Waiter(this, insert, count, timeout);
                Queue(insert).Enqueue(waiter);
                return waiter;
            }

            done = GrantLocked();
        }

        Complete(done);
        return null;
    }

    /// <summary>Starts the waiter's deadline timer and cancellation registration, outside the lock.</summary>
    private void Arm(Waiter waiter, TimeSpan timeout, CancellationToken cancellationToken)
    {
        CancellationTokenRegistration registration = default;
        Timer? timer = null;
        if (cancellationToken.CanBeCanceled)
        {
            waiter.Token = cancellationToken;
            registration = cancellationToken.UnsafeRegister(static state => ((Waiter)state!).Owner.OnCancelled((Waiter)state!), waiter);
        }

        if (timeout != Timeout.InfiniteTimeSpan && timeout.TotalMilliseconds <= MaxTimerMilliseconds)
        {
            timer = new Timer(static state => ((Waiter)state!).Owner.OnTimedOut((Waiter)state!), waiter, timeout, Timeout.InfiniteTimeSpan);
        }

        bool stillWaiting;
        lock (_lock)
        {
            stillWaiting = waiter.State == WaiterState.Waiting;
            if (stillWaiting)
            {
                waiter.Timer = timer;
                waiter.Registration = registration;
                waiter.Armed = true;
            }
        }

        if (!stillWaiting)
        {
            // Finished before it was armed: whoever finished it left the resources to us.
            timer?.Dispose();
            registration.Unregister();
        }
    }

    private void OnTimedOut(Waiter waiter) => Abandon(waiter, WaiterState.TimedOut);

    private void OnCancelled(Waiter waiter) => Abandon(waiter, WaiterState.Cancelled);

    private void Abandon(Waiter waiter, WaiterState reason)
    {
        Waiter? done;
        lock (_lock)
        {
            if (waiter.State != WaiterState.Waiting)
            {
                return;
            }

            WaitQueue queue = Queue(waiter.IsInsert);
            if (reason == WaiterState.TimedOut)
            {
                waiter.Failure = GearException.DeadlineExceeded(
                    DescribeBlockedLocked(waiter.IsInsert, waiter.Count, waiter.Timeout, queue.CountAhead(waiter)));
            }

            queue.Remove(waiter);
            waiter.State = reason;
            waiter.ReleaseResources = waiter.Armed;

            // The waiter may have held up the ones behind it.
            done = GrantLocked();
            waiter.NextDone = done;
            done = waiter;
        }

        Complete(done);
    }

    private bool TryTakeLocked(bool insert, int count)
    {
        if (insert)
        {
            if (_inserters.Count != 0 || !CanInsertLocked(count))
            {
                return false;
            }

            _inserts += count;
        }
        else
        {
            if (_samplers.Count != 0 || !CanSampleLocked(count))
            {
                return false;
            }

            _samples += count;
        }

        return true;
    }

    // Reverb's RateLimiter::CanSample.
    private bool CanSampleLocked(int count)
    {
        if (_inserts - _deletes < _minSizeToSample)
        {
            return false;
        }

        double diff = _inserts * _samplesPerInsert - _samples - count;
        return diff >= _minDiff;
    }

    // Reverb's RateLimiter::CanInsert.
    private bool CanInsertLocked(int count)
    {
        if (_inserts + count - _deletes <= _minSizeToSample)
        {
            return true;
        }

        double diff = (count + _inserts) * _samplesPerInsert - _samples;
        return diff <= _maxDiff;
    }

    /// <summary>
    /// Grants queue heads, FIFO per kind, while their condition holds; granting inserts can enable samples and vice
    /// versa, so it alternates until neither makes progress. Returns the granted waiters, to complete after the lock.
    /// </summary>
    private Waiter? GrantLocked()
    {
        if (_inserters.Head is null && _samplers.Head is null)
        {
            return null;
        }

        Waiter? first = null;
        Waiter? last = null;
        bool progress = true;
        while (progress)
        {
            progress = false;
            while (_inserters.Head is { } head && CanInsertLocked(head.Count))
            {
                _inserters.Remove(head);
                _inserts += head.Count;
                Finish(head, WaiterState.Granted, ref first, ref last);
                progress = true;
            }

            bool sampled = false;
            while (_samplers.Head is { } head && CanSampleLocked(head.Count))
            {
                _samplers.Remove(head);
                _samples += head.Count;
                Finish(head, WaiterState.Granted, ref first, ref last);
                sampled = true;
            }

            // Only samples can newly enable inserts; inserts just granted were all that could pass.
            progress = sampled && _inserters.Head is not null;
        }

        return first;
    }

    private void DrainLocked(WaitQueue queue, WaiterState state, ref Waiter? first, ref Waiter? last)
    {
        while (queue.Head is { } head)
        {
            queue.Remove(head);
            Finish(head, state, ref first, ref last);
        }
    }

    private static void Finish(Waiter waiter, WaiterState state, ref Waiter? first, ref Waiter? last)
    {
        waiter.State = state;
        waiter.ReleaseResources = waiter.Armed;
        if (last is null)
        {
            first = waiter;
        }
        else
        {
            last.NextDone = waiter;
        }

        last = waiter;
    }

    /// <summary>Completes finished waiters; called without the lock.</summary>
    private static void Complete(Waiter? waiter)
    {
        while (waiter is not null)
        {
            Waiter? next = waiter.NextDone;
            waiter.NextDone = null;
            if (waiter.ReleaseResources)
            {
                waiter.Timer?.Dispose();
                waiter.Registration.Unregister();
            }

            switch (waiter.State)
            {
                case WaiterState.Granted:
                    waiter.TrySetResult();
                    break;
                case WaiterState.TimedOut:
                    waiter.TrySetException(waiter.Failure!);
                    break;
                case WaiterState.Cancelled:
                    waiter.TrySetCanceled(waiter.Token);
                    break;
                case WaiterState.Reset:
                    waiter.TrySetException(ResetMeanwhile());
                    break;
                default:
                    waiter.TrySetException(Closed());
                    break;
            }

            waiter = next;
        }
    }

    private WaitQueue Queue(bool insert) => insert ? _inserters : _samplers;

    private string DescribeBlockedLocked(bool insert, int count, TimeSpan timeout, int ahead)
    {
        var c = CultureInfo.InvariantCulture;
        string what = insert ? "insert" : "sample";
        string waited = timeout == TimeSpan.Zero
            ? $"{what} of {count} blocked by the rate limiter (no wait allowed)"
            : $"{what} of {count} blocked by the rate limiter for {timeout.TotalMilliseconds.ToString("0.###", c)} ms";
        long size = _inserts - _deletes;
        string why;
        if (insert)
        {
            if (CanInsertLocked(count))
            {
                why = $"queued behind {ahead} earlier insert request(s)";
            }
            else
            {
                double diff = (count + _inserts) * _samplesPerInsert - _samples;
                why = $"(inserts {_inserts} + {count}) * samples_per_insert {RateLimiterSpec.Format(_samplesPerInsert)} " +
                      $"- samples {_samples} = {RateLimiterSpec.Format(diff)} > max_diff {RateLimiterSpec.Format(_maxDiff)} " +
                      $"({size} items, min_size_to_sample {_minSizeToSample})";
            }
        }
        else if (size < _minSizeToSample)
        {
            why = $"{size} items, min_size_to_sample {_minSizeToSample}";
        }
        else if (CanSampleLocked(count))
        {
            why = $"queued behind {ahead} earlier sample request(s)";
        }
        else
        {
            double diff = _inserts * _samplesPerInsert - _samples - count;
            why = $"inserts {_inserts} * samples_per_insert {RateLimiterSpec.Format(_samplesPerInsert)} - samples " +
                  $"{_samples} - {count} = {RateLimiterSpec.Format(diff)} < min_diff {RateLimiterSpec.Format(_minDiff)} " +
                  $"({size} items)";
        }

        return $"{waited}: {why}";
    }

    private static GearException ResetMeanwhile() =>
        GearException.FailedPrecondition("the table was reset while this insert was prepared or waiting; nothing was inserted");

    private static GearException Closed() => GearException.Unavailable("table closed: the rate limiter no longer admits inserts or samples");

    private static void ValidateCount(int count)
    {
        if (count < 1)
        {
            throw GearException.InvalidArgument($"count must be >= 1, got {count}");
        }
    }

    private static void ValidateTimeout(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw GearException.InvalidArgument(
                $"timeout must be >= 0 or Timeout.InfiniteTimeSpan, got {timeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms");
        }
    }

    private enum WaiterState
    {
        Waiting,
        Granted,
        TimedOut,
        Cancelled,
        Closed,
        Reset,
    }

    /// <summary>One blocked acquisition. All mutable fields are guarded by the limiter's lock.</summary>
    private sealed class Waiter : TaskCompletionSource
    {
        public Waiter(RateLimiter owner, bool isInsert, int count, TimeSpan timeout)
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            Owner = owner;
            IsInsert = isInsert;
            Count = count;
            Timeout = timeout;
        }

        public RateLimiter Owner { get; }
        public bool IsInsert { get; }
        public int Count { get; }
        public TimeSpan Timeout { get; }

        public WaiterState State;
        public Waiter? Prev;
        public Waiter? Next;
        public Waiter? NextDone;
        public bool Armed;
        public bool ReleaseResources;
        public Timer? Timer;
        public CancellationTokenRegistration Registration;
        public CancellationToken Token;
        public Exception? Failure;
    }

    /// <summary>Intrusive doubly linked FIFO of waiters (O(1) removal on timeout or cancellation).</summary>
    private sealed class WaitQueue
    {
        public Waiter? Head { get; private set; }
        private Waiter? _tail;

        public int Count { get; private set; }

        public void Enqueue(Waiter waiter)
        {
            waiter.Prev = _tail;
            waiter.Next = null;
            if (_tail is null)
            {
                Head = waiter;
            }
            else
            {
                _tail.Next = waiter;
            }

            _tail = waiter;
            Count++;
        }

        public void Remove(Waiter waiter)
        {
            if (waiter.Prev is null)
            {
                Head = waiter.Next;
            }
            else
            {
                waiter.Prev.Next = waiter.Next;
            }

            if (waiter.Next is null)
            {
                _tail = waiter.Prev;
            }
            else
            {
                waiter.Next.Prev = waiter.Prev;
            }

            waiter.Prev = null;
            waiter.Next = null;
            Count--;
        }

        public int CountAhead(Waiter waiter)
        {
            int ahead = 0;
            for (Waiter? w = Head; w is not null && w != waiter; w = w.Next)
            {
                ahead++;
            }

            return ahead;
        }
    }
}
