using System.Security.Cryptography;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Google.Protobuf;

namespace Gear.Client;

/// <summary>
/// An actor's writer of trajectories into one table (on one server, or spread over the shards of a
/// <see cref="GearClient"/> with several endpoints). Steps are checked against the table spec when appended,
/// batched into AppendSteps messages by size, and acknowledged per trajectory.
/// </summary>
/// <remarks>
/// <para>Memory is bounded: at most <see cref="TrajectoryWriterOptions.MaxBufferedBytes"/> of step data waits
/// for the connection (committing steps waits beyond it) and at most
/// <see cref="TrajectoryWriterOptions.MaxTrajectoriesInFlight"/> trajectories are open or unacknowledged
/// (beginning one waits beyond it).</para>
/// <para>When a server refuses a request (its message names the column or field), the writer fails: every
/// pending <see cref="Trajectory.EndAsync(double)"/> task and every later call throws
/// <see cref="TrajectoryWriteException"/>; open a new writer to go on. So it does when the connection of a
/// writer of one server breaks, since the steps on the wire may or may not be in the table.</para>
/// <para>A writer of several shards survives a shard that fails with UNAVAILABLE (down, restarting,
/// unreachable): it routes new trajectories around that shard for
/// <see cref="TrajectoryWriterOptions.ShardRetryDelay"/>, and sends each trajectory that was on it to the
/// next live shard, whole, when it can: when nothing of it was sent yet, or when every message sent for it
/// was kept (up to <see cref="TrajectoryWriterOptions.MaxResendBytes"/> for the writer). A resent
/// trajectory may also have been committed by the failed server before it went down (its acknowledgement
/// lost): resending is at least once. A trajectory that cannot be resent fails alone, with UNAVAILABLE naming
/// the shard. Only when every shard is down does the writer fail.</para>
/// <para>Use a writer from one thread at a time (an actor loop); acknowledgements arrive on other threads.</para>
/// </remarks>
public sealed class TrajectoryWriter : IAsyncDisposable
{
    private readonly IReadOnlyList<ShardConnection> _shards;
    private readonly ShardRouting _routing;
    private readonly TrajectoryWriterOptions _options;
    private readonly InsertStreamConnection?[] _streams;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _closing = new();
    private readonly object _gate = new();
    private readonly Dictionary<ulong, Trajectory> _pending = [];
    private readonly HashSet<Trajectory> _open = [];
    private TaskCompletionSource? _changed;
    private TrajectoryWriteException? _failure;
    private long _bufferedBytes;
    private long _queuedBytes;
    private long _keptBytes;
    private ulong _lastId;
    private long _committed;
    private bool _disposed;

    internal TrajectoryWriter(IReadOnlyList<ShardConnection> shards, ConsistentHashRing? ring, TableLayout layout, TrajectoryWriterOptions options)
    {
        _shards = shards;
        _options = options;
        Layout = layout;
        _streams = new InsertStreamConnection?[shards.Count];
        _slots = new SemaphoreSlim(options.MaxTrajectoriesInFlight);
        var salt = options.RoutingSalt != 0 ? options.RoutingSalt : BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        _routing = new ShardRouting(ring, shards.Count, salt, options.ShardRetryDelay);
        StepsPerMessage = Math.Max(1, options.MaxMessageBytes / Math.Max(1, layout.StepBytes));
    }

    /// <summary>The table's columns, as checked on append. Look columns up here once for hot loops.</summary>
    public TableLayout Layout { get; }

    /// <summary>Trajectories the servers have acknowledged as committed.</summary>
    public long CommittedCount => Interlocked.Read(ref _committed);

    /// <summary>Bytes of step data held now (appended, not yet written to a connection).</summary>
    public long BufferedBytes => Interlocked.Read(ref _bufferedBytes);

    /// <summary>Trajectories ended or abandoned whose acknowledgement has not arrived.</summary>
    public int PendingAcknowledgements
    {
        get
        {
            lock (_gate)
                return _pending.Count;
        }
    }

    /// <summary>Steps per AppendSteps message, from <see cref="TrajectoryWriterOptions.MaxMessageBytes"/> and the step size.</summary>
    internal int StepsPerMessage { get; }

    /// <summary>
    /// Opens a new trajectory, routed to a shard by its id (around shards that failed lately). Waits while
    /// <see cref="TrajectoryWriterOptions.MaxTrajectoriesInFlight"/> trajectories are open or unacknowledged.
    /// </summary>
    /// <exception cref="TrajectoryWriteException">The writer has failed.</exception>
    public async ValueTask<Trajectory> BeginTrajectoryAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfFailed();
        if (!_slots.Wait(0))
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        var id = ++_lastId;
        lock (_gate)
        {
            if (_failure is not null || _disposed)
            {
                _slots.Release();
                ThrowIfFailed();
            }
            // A live shard exists while the writer has not failed: the last shard to go down fails it.
            var trajectory = new Trajectory(this, id, _routing.Route(id), StepsPerMessage, resendable: _routing.ShardCount > 1);
            _open.Add(trajectory);
            return trajectory;
        }
    }

    /// <summary>
    /// Sends every committed step of open trajectories and waits until everything queued is written and every
    /// ended or abandoned trajectory is acknowledged.
    /// </summary>
    /// <exception cref="TrajectoryWriteException">The writer has failed (before or while flushing).</exception>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfFailed();
        CutAll();
        await WaitUntilAsync(() => _queuedBytes == 0 && _pending.Count == 0, cancellationToken).ConfigureAwait(false);
        ThrowIfFailed();
    }

    /// <summary>
    /// Flushes (up to <see cref="TrajectoryWriterOptions.CloseTimeout"/>), then closes the streams. The server
    /// abandons trajectories still open. Pending acknowledgements that do not arrive fail.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
        }
        if (_failure is null)
        {
            using var timeout = new CancellationTokenSource(_options.CloseTimeout);
            try
            {
                CutAll();
                await WaitUntilAsync(() => _queuedBytes == 0 && _pending.Count == 0, timeout.Token).ConfigureAwait(false);
                foreach (var stream in _streams)
                    stream?.Complete();
                await Task.WhenAll(_streams.Where(s => s is not null).Select(s => s!.Completion)).WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Took longer than CloseTimeout: the streams are cancelled below.
            }
        }
        Fail(new TrajectoryWriteException("the writer was closed", StatusCode.Cancelled, "the writer was closed", null));
        _closing.Cancel();
        foreach (var stream in _streams)
            stream?.Abort();
        _closing.Dispose();
    }

    // ---- called by Trajectory ----

    internal void ThrowIfFailed()
    {
        var failure = Volatile.Read(ref _failure);
        if (failure is not null)
        {
            if (_disposed && failure.StatusCode == StatusCode.Cancelled)
                throw new ObjectDisposedException(nameof(TrajectoryWriter), "the writer was closed");
            throw failure.Rethrowable();
        }
        ObjectDisposedException.ThrowIf(_disposed, this);
    }

    internal void AddBuffered(long bytes) => Interlocked.Add(ref _bufferedBytes, bytes);

    /// <summary>Completes at once while the writer holds at most MaxBufferedBytes; otherwise sends and waits.</summary>
    internal ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Read(ref _bufferedBytes) <= _options.MaxBufferedBytes)
            return ValueTask.CompletedTask;
        return new ValueTask(WaitForRoomSlowAsync(cancellationToken));
    }

    private async Task WaitForRoomSlowAsync(CancellationToken cancellationToken)
    {
        // Committed steps of every trajectory go out, so the connection can drain; waiting stops when it has,
        // even if appended-but-uncommitted bytes alone keep the writer over the cap (they cannot drain).
        CutAll();
        await WaitUntilAsync(() => _bufferedBytes <= _options.MaxBufferedBytes || _queuedBytes == 0, cancellationToken).ConfigureAwait(false);
        ThrowIfFailed();
    }

    /// <summary>Cuts the trajectory's committed, unsent steps into one AppendSteps message and queues it.</summary>
    internal void Cut(Trajectory trajectory)
    {
        if (trajectory.UnsentSteps == 0)
            return;
        var append = new AppendSteps { Trajectory = trajectory.Id, StepCount = (uint)trajectory.UnsentSteps };
        var columns = trajectory.Columns;
        var buffers = new byte[columns.Length][];
        long bytes = 0;
        for (var c = 0; c < columns.Length; c++)
        {
            buffers[c] = columns[c].TakeCommitted(Layout.Columns[c].StepBytes * StepsPerMessage, out var length);
            // Wrapped, not copied: the buffer stays untouched until the send loop has written the message.
            append.Columns.Add(UnsafeByteOperations.UnsafeWrap(buffers[c].AsMemory(0, length)));
            bytes += length;
        }
        trajectory.UnsentSteps = 0;
        var request = new InsertRequest { Append = append };
        // Under the lock, so that a shard failing at the same time either resends this message or never
        // sees the trajectory on it.
        lock (_gate)
        {
            if (trajectory.Failure is not null)
            {
                // It failed with its shard while this message was being cut: nothing goes anywhere.
                Interlocked.Add(ref _bufferedBytes, -bytes);
                InsertStreamConnection.Return(buffers);
                return;
            }
            if (!trajectory.Opened)
            {
                append.Table = Layout.Name;
                trajectory.Opened = true;
            }
            var kept = Keep(trajectory, request, buffers, bytes);
            Interlocked.Add(ref _queuedBytes, bytes);
            StreamFor(trajectory.Shard).Enqueue(request, kept ? null : buffers, bytes);
        }
    }

    internal Task<CommittedTrajectory> End(Trajectory trajectory, EndTrajectory end)
    {
        Cut(trajectory);
        return Finish(trajectory, new InsertRequest { End = end });
    }

    internal Task Abandon(Trajectory trajectory)
    {
        if (!trajectory.Opened)
        {
            // Nothing reached the server: there is nothing to abandon there.
            lock (_gate)
                _open.Remove(trajectory);
            Interlocked.Add(ref _bufferedBytes, -trajectory.Close());
            _slots.Release();
            return Task.CompletedTask;
        }
        Interlocked.Add(ref _bufferedBytes, -UnsentBytes(trajectory));
        return Finish(trajectory, new InsertRequest { Abandon = new AbandonTrajectory { Trajectory = trajectory.Id } });
    }

    // ---- called by the stream loops ----

    internal void OnWritten(long bytes)
    {
        Interlocked.Add(ref _queuedBytes, -bytes);
        Interlocked.Add(ref _bufferedBytes, -bytes);
        Signal();
    }

    internal void OnAcknowledged(InsertStreamConnection stream, ulong trajectoryId, ulong key, uint steps)
    {
        Trajectory? trajectory;
        lock (_gate)
        {
            // Not ours to wait for: already failed, or resent elsewhere after this stream's shard failed.
            if (!_pending.TryGetValue(trajectoryId, out trajectory) || !ReferenceEquals(_streams[trajectory.Shard], stream))
                return;
            _pending.Remove(trajectoryId);
            // Acknowledged means every message of the trajectory was written: its buffers are free.
            _keptBytes -= trajectory.Resend?.Drop(returnBuffers: true) ?? 0;
        }
        if (steps > 0)
            Interlocked.Increment(ref _committed);
        _slots.Release();
        trajectory.Acknowledgement!.TrySetResult(new CommittedTrajectory(trajectoryId, key, steps, trajectory.Shard));
        Signal();
    }

    /// <summary>The server closed the stream cleanly: anything still unacknowledged on it never will be.</summary>
    internal void OnStreamEnded(InsertStreamConnection stream)
    {
        lock (_gate)
        {
            if (_disposed || !_pending.Values.Any(t => t.Shard == stream.Shard.Index))
                return;
        }
        OnStreamFailed(stream, new TrajectoryWriteException(
            $"the server at {stream.Shard.Endpoint} ended the insert stream before acknowledging every trajectory",
            StatusCode.Unavailable, "stream ended early", stream.Shard.Endpoint));
    }

    /// <summary>
    /// A stream failed. UNAVAILABLE (or a cancel by the server) on a writer of several shards fails only that
    /// shard (see the class remarks); anything else, or the last live shard, fails the writer.
    /// </summary>
    internal void OnStreamFailed(InsertStreamConnection stream, TrajectoryWriteException failure)
    {
        ShardFailover? failover;
        lock (_gate)
        {
            if (_failure is not null || !ReferenceEquals(_streams[stream.Shard.Index], stream))
                return; // the writer is done, or this stream's failure was handled already
            // CANCELLED here came from the server (the writer cancels its streams only after failing or
            // closing, which the check above catches): it abandoned the call, as a server going down does.
            if (failure.StatusCode is StatusCode.Unavailable or StatusCode.Cancelled)
            {
                failure = failure.AsUnavailable();
                failover = FailShard(stream.Shard.Index, failure);
            }
            else
            {
                failover = null;
            }
        }
        stream.Abort();
        if (failover is null)
        {
            Fail(failure);
            return;
        }
        failover.Value.Complete(failure);
        if (failover.Value.SlotsFreed > 0)
            _slots.Release(failover.Value.SlotsFreed);
        Signal();
    }

    /// <summary>Fails the writer (once): pending acknowledgements and later calls throw <paramref name="failure"/>.</summary>
    internal void Fail(TrajectoryWriteException failure)
    {
        List<Trajectory> pending;
        lock (_gate)
        {
            if (_failure is not null)
                return;
            _failure = failure;
            pending = [.. _pending.Values];
            _pending.Clear();
            // Open trajectories keep their buffers: the actor's thread may be appending into one right now, so
            // they are left to the garbage collector rather than returned to the pool under its feet. So are
            // kept messages, which a stream may still be writing.
            _open.Clear();
        }
        foreach (var trajectory in pending)
            trajectory.Acknowledgement!.TrySetException(failure.Rethrowable());
        // Wakes BeginTrajectoryAsync if it waits for a slot; it then finds the failure.
        _slots.Release(_options.MaxTrajectoriesInFlight);
        // Other shards' streams must not keep running for a writer that is dead.
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Closed already.
        }
        Signal();
    }

    // ---- helpers ----

    /// <summary>Queues the End or Abandon request and waits for its acknowledgement.</summary>
    private Task<CommittedTrajectory> Finish(Trajectory trajectory, InsertRequest ending)
    {
        var acknowledged = new TaskCompletionSource<CommittedTrajectory>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (trajectory.Failure is { } failure)
            {
                acknowledged.SetException(failure.Rethrowable());
            }
            else
            {
                _open.Remove(trajectory);
                trajectory.Ending = ending;
                trajectory.Acknowledgement = acknowledged;
                _pending.Add(trajectory.Id, trajectory);
                StreamFor(trajectory.Shard).Enqueue(ending, null, 0);
            }
        }
        trajectory.Close();
        return acknowledged.Task;
    }

    /// <summary>Keeps a message for a resend, while the trajectory's log is complete and the cap allows.</summary>
    private bool Keep(Trajectory trajectory, InsertRequest request, byte[][] buffers, long bytes)
    {
        if (trajectory.Resend is not { IsComplete: true } log)
            return false;
        if (_keptBytes + bytes > _options.MaxResendBytes)
        {
            log.MarkIncomplete();
            return false;
        }
        log.Keep(request, buffers, bytes);
        _keptBytes += bytes;
        return true;
    }

    /// <summary>
    /// Takes shard <paramref name="shard"/> out of routing and moves its trajectories: resent whole to the
    /// next live shard where possible, failed alone otherwise. Null when no shard is left (the writer must
    /// fail). Called under the lock; what completes tasks is returned, to run outside it.
    /// </summary>
    private ShardFailover? FailShard(int shard, TrajectoryWriteException failure)
    {
        if (_routing.ShardCount == 1)
            return null;
        _routing.MarkDown(shard);
        _streams[shard] = null;
        if (_routing.Route(0) < 0)
            return null; // every shard is down
        var failed = new List<Trajectory>();
        var abandoned = new List<Trajectory>();
        var openFailed = 0;
        foreach (var trajectory in _open.Concat(_pending.Values).Where(t => t.Shard == shard).ToList())
        {
            var pending = trajectory.Ending is not null;
            if (trajectory.Ending?.CommandCase == InsertRequest.CommandOneofCase.Abandon)
            {
                // The failed server drops what it had of it; nothing else needs to happen.
                _pending.Remove(trajectory.Id);
                _keptBytes -= trajectory.Resend!.Drop(returnBuffers: false);
                abandoned.Add(trajectory);
            }
            else if (!trajectory.Opened || trajectory.Resend is { IsComplete: true })
            {
                Resend(trajectory, _routing.Route(trajectory.Id));
            }
            else
            {
                // Some of its steps were sent and not kept: it cannot be resent whole.
                trajectory.Failure = failure;
                _open.Remove(trajectory);
                _pending.Remove(trajectory.Id);
                _keptBytes -= trajectory.Resend!.Drop(returnBuffers: false);
                if (pending)
                    failed.Add(trajectory);
                else
                    openFailed++; // its actor finds the failure on its next call
            }
        }
        return new ShardFailover(failed, abandoned, openFailed);
    }

    /// <summary>Moves a trajectory to <paramref name="shard"/> and queues every kept message of it there again.</summary>
    private void Resend(Trajectory trajectory, int shard)
    {
        trajectory.Shard = shard;
        var stream = StreamFor(shard);
        foreach (var message in trajectory.Resend!.Messages)
        {
            Interlocked.Add(ref _queuedBytes, message.Bytes);
            Interlocked.Add(ref _bufferedBytes, message.Bytes);
            stream.Enqueue(message.Request, null, message.Bytes);
        }
        if (trajectory.Ending is { } ending)
            stream.Enqueue(ending, null, 0);
    }

    private static long UnsentBytes(Trajectory trajectory)
    {
        long bytes = 0;
        foreach (var column in trajectory.Columns)
            bytes += column.CommittedBytes + column.StagedBytes;
        return bytes;
    }

    private void CutAll()
    {
        Trajectory[] open;
        lock (_gate)
            open = [.. _open];
        foreach (var trajectory in open)
        {
            if (trajectory.IsOpen)
                Cut(trajectory);
        }
    }

    /// <summary>Shard <paramref name="shard"/>'s stream, opened on first use (again after a failure). Under the lock.</summary>
    private InsertStreamConnection StreamFor(int shard) =>
        _streams[shard] ??= new InsertStreamConnection(this, _shards[shard], _closing.Token);

    private void Signal()
    {
        TaskCompletionSource? changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = null;
        }
        changed?.TrySetResult();
    }

    /// <summary>Waits until <paramref name="condition"/> holds (checked under the lock) or the writer fails.</summary>
    private async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_failure is not null || condition())
                    return;
                _changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                changed = _changed.Task;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>What a shard failure leaves to do outside the writer's lock: tasks to complete, slots to free.</summary>
    private readonly record struct ShardFailover(List<Trajectory> Failed, List<Trajectory> Abandoned, int OpenFailed)
    {
        public int SlotsFreed => Failed.Count + Abandoned.Count + OpenFailed;

        public void Complete(TrajectoryWriteException failure)
        {
            foreach (var trajectory in Failed)
                trajectory.Acknowledgement!.TrySetException(failure.Rethrowable());
            foreach (var trajectory in Abandoned)
                trajectory.Acknowledgement!.TrySetResult(new CommittedTrajectory(trajectory.Id, 0, 0, trajectory.Shard));
        }
    }
}
