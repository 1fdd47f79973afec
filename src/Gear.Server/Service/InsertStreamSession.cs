using System.Diagnostics;
using Gear.Core.Errors;
using Gear.Core.Tables;
using Gear.Protocol.V1;
using Gear.Server.Admin.Metrics;
using Gear.Server.Grpc;
using Gear.Server.WriteAheadLog;

namespace Gear.Server.Service;

/// <summary>
/// The state of one actor's InsertStream: the trajectories it has open (by the actor's own ids) and the
/// table keys they map to. A request that does not fit ends the stream; whatever the stream left open is
/// abandoned when it ends, so a disconnected actor leaves no pages behind.
/// </summary>
internal sealed class InsertStreamSession(
    TableRegistry tables, IServerStreamWriter<InsertResponse> responses, ServerCallContext context, InsertStreamMetrics metrics)
{
    /// <summary>Most trajectories one stream may hold open at once.</summary>
    public const int MaxOpenTrajectories = 4096;

    private readonly Dictionary<ulong, OpenTrajectory> _open = [];
    private readonly double[] _singlePriority = new double[1];

    /// <summary>Trajectories committed on this stream.</summary>
    public long Committed { get; private set; }

    /// <summary>Trajectories abandoned at the actor's request.</summary>
    public long Abandoned { get; private set; }

    /// <summary>Trajectories open now.</summary>
    public int OpenCount => _open.Count;

    /// <summary>Applies one request of the stream, acknowledging what it commits or abandons.</summary>
    public Task ApplyAsync(InsertCommand command) => command.Other?.CommandCase switch
    {
        null => AppendAsync(command),
        InsertRequest.CommandOneofCase.End => EndAsync(command.Other.End),
        InsertRequest.CommandOneofCase.Abandon => AbandonAsync(command.Other.Abandon),
        _ => throw Invalid("an InsertRequest must hold one of append, end or abandon"),
    };

    private Task AppendAsync(InsertCommand append)
    {
        if (append.StepCount == 0 || append.StepCount > int.MaxValue)
            throw Invalid($"append.step_count {append.StepCount} for trajectory {append.Trajectory} must be at least 1");
        var trajectory = OpenOrFind(append);
        using var lease = trajectory.Table.Acquire();
        var columns = append.Columns;
        long bytes = 0;
        foreach (var column in columns)
            bytes += column.Length;
        try
        {
            lease.Table.Append(trajectory.Key, (int)append.StepCount, columns);
        }
        catch (GearException e)
        {
            throw new GearException(e.Code, $"append to trajectory {append.Trajectory}: {e.Message}");
        }
        trajectory.Steps += append.StepCount;
        metrics.Appended(trajectory.Table.Name, append.StepCount, bytes);
        return Task.CompletedTask;
    }

    private OpenTrajectory OpenOrFind(InsertCommand append)
    {
        if (_open.TryGetValue(append.Trajectory, out var trajectory))
        {
            if (append.Table.Length > 0 && append.Table != trajectory.Table.Name)
                throw Invalid($"append.table '{append.Table}' for trajectory {append.Trajectory} differs from '{trajectory.Table.Name}', where it is open");
            return trajectory;
        }
        if (append.Table.Length == 0)
            throw Invalid($"append.table is required for trajectory {append.Trajectory}, which is not open on this stream");
        if (_open.Count >= MaxOpenTrajectories)
            throw new GearException(GearErrorCode.ResourceExhausted,
                $"this stream already holds {MaxOpenTrajectories} open trajectories; end or abandon some before opening trajectory {append.Trajectory}");
        using var lease = tables.Lease(append.Table);
        trajectory = new OpenTrajectory(lease.Served, lease.Table.OpenTrajectory());
        _open.Add(append.Trajectory, trajectory);
        return trajectory;
    }

    private async Task EndAsync(EndTrajectory end)
    {
        var trajectory = Find(end.Trajectory, "end");
        ReadOnlyMemory<double> priorities;
        if (end.StepPriorities.Count > 0)
        {
            priorities = end.StepPriorities.ToArray();
        }
        else
        {
            _singlePriority[0] = end.Priority;
            priorities = _singlePriority;
        }
        LogRecord? record = null;
        long sequence;
        using (var lease = trajectory.Table.Acquire())
        using (var wait = CallWaits.Link(context, trajectory.Table))
        {
            try
            {
                if (trajectory.Table.Log is not null)
                    record = CommitRecord(lease.Table, trajectory.Key, priorities.Span);
                // Waits here while the rate limiter holds inserts back; the stream is not read meanwhile.
                var started = Stopwatch.GetTimestamp();
                var closing = lease.Table.CloseAsync(trajectory.Key, priorities, CallWaits.Remaining(context), wait.Token);
                var waited = !closing.IsCompleted; // the rate limiter is the only thing CloseAsync waits for
                sequence = await closing.ConfigureAwait(false);
                metrics.Committed(trajectory.Table.Name, Stopwatch.GetElapsedTime(started), waited);
            }
            catch (Exception e)
            {
                record?.Release();
                throw e switch
                {
                    OperationCanceledException when trajectory.Table.Dropping.IsCancellationRequested => CallWaits.Dropped(trajectory.Table),
                    GearException gear => new GearException(gear.Code, $"end of trajectory {end.Trajectory}: {gear.Message}"),
                    _ => e,
                };
            }
        }
        _open.Remove(end.Trajectory);
        if (record is not null)
            await trajectory.Table.MakeDurableAsync(record.Seal(sequence), $"end of trajectory {end.Trajectory}").ConfigureAwait(false);
        Committed++;
        await responses.WriteAsync(new InsertResponse
        {
            Committed = new TrajectoryCommitted { Trajectory = end.Trajectory, Key = trajectory.Key, Steps = trajectory.Steps },
        }, context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>The log record of a commit about to happen: the trajectory's steps, copied before it can be evicted.</summary>
    private static LogRecord CommitRecord(Table table, ulong key, ReadOnlySpan<double> priorities)
    {
        var steps = table.OpenLength(key);
        var record = LogRecord.Commit(key, steps, priorities, table.Spec.StepBytes * steps);
        try
        {
            table.CopyOpenSteps(key, steps, record.StepData);
            return record;
        }
        catch
        {
            record.Release();
            throw;
        }
    }

    private async Task AbandonAsync(AbandonTrajectory abandon)
    {
        var trajectory = Find(abandon.Trajectory, "abandon");
        using (var lease = trajectory.Table.Acquire())
            lease.Table.Abandon(trajectory.Key);
        _open.Remove(abandon.Trajectory);
        Abandoned++;
        await responses.WriteAsync(new InsertResponse
        {
            Abandoned = new TrajectoryAbandoned { Trajectory = abandon.Trajectory },
        }, context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>Abandons every trajectory the stream left open (the stream ended, cleanly or not).</summary>
    public void AbandonOpenTrajectories()
    {
        foreach (var trajectory in _open.Values)
        {
            if (!trajectory.Table.TryAcquire(out var lease))
                continue; // dropped: its pages went with the table
            using (lease)
            {
                try
                {
                    lease.Table.Abandon(trajectory.Key);
                }
                catch (GearException)
                {
                    // Already gone (the table was reset); nothing to free.
                }
            }
        }
        _open.Clear();
    }

    private OpenTrajectory Find(ulong trajectory, string field) =>
        _open.TryGetValue(trajectory, out var open)
            ? open
            : throw new GearException(GearErrorCode.FailedPrecondition,
                $"{field}.trajectory {trajectory} is not open on this stream (append a step first; ids are per stream)");

    private static GearException Invalid(string message) => new(GearErrorCode.InvalidArgument, message);

    private sealed class OpenTrajectory(ServedTable table, ulong key)
    {
        public ServedTable Table { get; } = table;
        public ulong Key { get; } = key;
        public uint Steps { get; set; }
    }
}
