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
/// <para>When a server refuses a request (its message names the column or field) or a connection breaks, the
/// writer fails: every pending <see cref="Trajectory.EndAsync(double)"/> task and every later call throws
/// <see cref="TrajectoryWriteException"/>. Nothing is resent automatically, since the steps on the wire may
/// or may not be in the table; open a new writer to go on.</para>
/// <para>Use a writer from one thread at a time (an actor loop); acknowledgements arrive on other threads.</para>
/// </remarks>
public sealed class TrajectoryWriter : IAsyncDisposable
{
    private readonly IReadOnlyList<ShardConnection> _shards;
    private readonly ConsistentHashRing? _ring;
    private readonly TrajectoryWriterOptions _options;
    private readonly InsertStreamConnection?[] _streams;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _closing = new();
    private readonly object _gate = new();
    private readonly Dictionary<ulong, TaskCompletionSource<CommittedTrajectory>> _pending = [];
    private readonly HashSet<Trajectory> _open = [];
    private readonly ulong _routingSalt;
    private TaskCompletionSource? _changed;
    private TrajectoryWriteException? _failure;
    private long _bufferedBytes;
    private long _queuedBytes;
    private ulong _lastId;
    private long _committed;
    private bool _disposed;

    internal TrajectoryWriter(IReadOnlyList<ShardConnection> shards, ConsistentHashRing? ring, TableLayout layout, TrajectoryWriterOptions options)
    {
        _shards = shards;
        _ring = ring;
        _options = options;
        Layout = layout;
        _streams = new InsertStreamConnection?[shards.Count];
        _slots = new SemaphoreSlim(options.MaxTrajectoriesInFlight);
        _routingSalt = options.RoutingSalt != 0 ? options.RoutingSalt : BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
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
    /// Opens a new trajectory, routed to a shard by its id. Waits while
    /// <see cref="TrajectoryWriterOptions.MaxTrajectoriesInFlight"/> trajectories are open or unacknowledged.
    /// </summary>
    /// <exception cref="TrajectoryWriteException">The writer has failed.</exception>
    public async ValueTask<Trajectory> BeginTrajectoryAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfFailed();
        if (!_slots.Wait(0))
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        var id = ++_lastId;
        var shard = _ring?.ShardOf(_routingSalt ^ id) ?? 0;
        var trajectory = new Trajectory(this, id, shard, StepsPerMessage);
        lock (_gate)
        {
            if (_failure is not null || _disposed)
            {
                trajectory.Close();
                _slots.Release();
                ThrowIfFailed();
            }
            _open.Add(trajectory);
        }
        return trajectory;
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

    internal void AddBuffered(int bytes) => Interlocked.Add(ref _bufferedBytes, bytes);

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
        if (!trajectory.Opened)
        {
            append.Table = Layout.Name;
            trajectory.Opened = true;
        }
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
        Interlocked.Add(ref _queuedBytes, bytes);
        StreamFor(trajectory.Shard).Enqueue(new InsertRequest { Append = append }, buffers, bytes);
    }

    internal Task<CommittedTrajectory> End(Trajectory trajectory, EndTrajectory end)
    {
        Cut(trajectory);
        var acknowledged = Register(trajectory);
        StreamFor(trajectory.Shard).Enqueue(new InsertRequest { End = end }, null, 0);
        return acknowledged;
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
        var acknowledged = Register(trajectory);
        StreamFor(trajectory.Shard).Enqueue(new InsertRequest { Abandon = new AbandonTrajectory { Trajectory = trajectory.Id } }, null, 0);
        return acknowledged;
    }

    // ---- called by the stream loops ----

    internal void OnWritten(long bytes)
    {
        Interlocked.Add(ref _queuedBytes, -bytes);
        Interlocked.Add(ref _bufferedBytes, -bytes);
        Signal();
    }

    internal void OnAcknowledged(ulong trajectoryId, ulong key, uint steps, int shard)
    {
        TaskCompletionSource<CommittedTrajectory>? acknowledged;
        lock (_gate)
        {
            if (!_pending.Remove(trajectoryId, out acknowledged))
                return; // not ours to wait for (already failed)
        }
        if (steps > 0)
            Interlocked.Increment(ref _committed);
        _slots.Release();
        acknowledged.TrySetResult(new CommittedTrajectory(trajectoryId, key, steps, shard));
        Signal();
    }

    /// <summary>The server closed the stream cleanly: anything still unacknowledged on it never will be.</summary>
    internal void OnStreamEnded(ShardConnection shard)
    {
        bool orphaned;
        lock (_gate)
            orphaned = _pending.Count > 0 && !_disposed;
        if (orphaned)
            Fail(new TrajectoryWriteException($"the server at {shard.Endpoint} ended the insert stream before acknowledging every trajectory",
                StatusCode.Unavailable, "stream ended early", shard.Endpoint));
    }

    /// <summary>Fails the writer (once): pending acknowledgements and later calls throw <paramref name="failure"/>.</summary>
    internal void Fail(TrajectoryWriteException failure)
    {
        List<TaskCompletionSource<CommittedTrajectory>> pending;
        lock (_gate)
        {
            if (_failure is not null)
                return;
            _failure = failure;
            pending = [.. _pending.Values];
            _pending.Clear();
            // Open trajectories keep their buffers: the actor's thread may be appending into one right now, so
            // they are left to the garbage collector rather than returned to the pool under its feet.
            _open.Clear();
        }
        foreach (var acknowledged in pending)
            acknowledged.TrySetException(failure.Rethrowable());
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

    private Task<CommittedTrajectory> Register(Trajectory trajectory)
    {
        var acknowledged = new TaskCompletionSource<CommittedTrajectory>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _open.Remove(trajectory);
            _pending.Add(trajectory.Id, acknowledged);
        }
        trajectory.Close();
        return acknowledged.Task;
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
}
