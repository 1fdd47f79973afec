using System.Runtime.InteropServices;
using Gear.Protocol.V1;

namespace Gear.Client;

/// <summary>
/// One open trajectory of a <see cref="TrajectoryWriter"/>. Append every column of a step (or of several
/// steps at once), commit the step(s), and end the trajectory with a priority:
/// <code>
/// var trajectory = await writer.BeginTrajectoryAsync();
/// trajectory.Append("obs", observation).Append("action", action).Append("reward", reward);
/// await trajectory.CommitStepsAsync();
/// Task&lt;CommittedTrajectory&gt; committed = trajectory.EndAsync(priority: 1.0);
/// </code>
/// Values are copied into pooled buffers when appended, so the caller may reuse its arrays at once. Checks
/// name the column and the problem: a dtype that does not match, a value count that is not a whole number of
/// steps, a column left out of a step. Like the writer, a trajectory is used by one thread at a time.
/// </summary>
public sealed class Trajectory
{
    private readonly TrajectoryWriter _writer;
    private readonly TableLayout _layout;
    private readonly ColumnStaging[] _columns;

    internal Trajectory(TrajectoryWriter writer, ulong id, int shard, int stepsPerMessage, bool resendable)
    {
        _writer = writer;
        _layout = writer.Layout;
        Id = id;
        Shard = shard;
        Resend = resendable ? new ResendLog() : null;
        _columns = new ColumnStaging[_layout.Columns.Count];
        for (var c = 0; c < _columns.Length; c++)
            _columns[c] = new ColumnStaging(_layout.Columns[c].StepBytes * stepsPerMessage);
    }

    /// <summary>The writer's id of this trajectory (the actor-chosen id on the insert stream).</summary>
    public ulong Id { get; }

    /// <summary>
    /// Index of the server the trajectory is routed to. It changes when that server's stream fails and the
    /// writer sends the trajectory to another shard (see <see cref="TrajectoryWriterOptions.MaxResendBytes"/>).
    /// </summary>
    public int Shard { get; internal set; }

    /// <summary>Steps committed so far.</summary>
    public int CommittedSteps { get; private set; }

    /// <summary>False once the trajectory has been ended or abandoned (or its writer closed).</summary>
    public bool IsOpen { get; private set; } = true;

    /// <summary>Whether a message for this trajectory has been sent (the first one names the table).</summary>
    internal bool Opened { get; set; }

    /// <summary>Committed steps not yet cut into a message.</summary>
    internal int UnsentSteps { get; set; }

    internal ColumnStaging[] Columns => _columns;

    /// <summary>The messages kept for a resend to another shard; null for a writer of one shard.</summary>
    internal ResendLog? Resend { get; }

    /// <summary>The End or Abandon request, once sent (a resend repeats it).</summary>
    internal InsertRequest? Ending { get; set; }

    /// <summary>Completes with the server's acknowledgement, once the trajectory is ended or abandoned.</summary>
    internal TaskCompletionSource<CommittedTrajectory>? Acknowledgement { get; set; }

    /// <summary>Set when the trajectory failed with its shard while the writer goes on.</summary>
    internal TrajectoryWriteException? Failure { get; set; }

    /// <summary>
    /// Appends values of <paramref name="column"/>: one step's worth (the product of the column's shape), or a
    /// whole number of steps one after another. Nothing is sent before <see cref="CommitStepsAsync"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No such column, the wrong element type, or not a whole number of steps.</exception>
    /// <exception cref="TrajectoryWriteException">The writer's stream has failed.</exception>
    public Trajectory Append<T>(string column, ReadOnlySpan<T> values) where T : unmanaged =>
        Append(_layout[column], values);

    /// <summary>Appends one step of a scalar column.</summary>
    /// <exception cref="ArgumentException">No such column, the wrong element type, or a column that is not a scalar.</exception>
    public Trajectory Append<T>(string column, T value) where T : unmanaged =>
        Append(_layout[column], new ReadOnlySpan<T>(in value));

    /// <summary>
    /// Appends values of a column looked up once with <c>writer.Layout["name"]</c> (saves the name lookup
    /// on hot loops).
    /// </summary>
    /// <exception cref="ArgumentException">A column of another table, the wrong element type, or not a whole number of steps.</exception>
    public Trajectory Append<T>(ColumnLayout column, ReadOnlySpan<T> values) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(column);
        ThrowIfNotWritable();
        if ((uint)column.Index >= (uint)_columns.Length || !ReferenceEquals(_layout.Columns[column.Index], column))
            throw new ArgumentException($"column {column.Description} is not a column of this writer's table '{_layout.Name}'", nameof(column));
        column.CheckElementType<T>();
        if (values.Length == 0 || values.Length % column.ElementsPerStep != 0)
            throw new ArgumentException(
                $"column {column.Description} takes {column.ElementsPerStep} values per step; got {values.Length}, which is not a whole number of steps",
                nameof(values));
        var bytes = MemoryMarshal.AsBytes(values);
        _columns[column.Index].Stage(bytes, values.Length / column.ElementsPerStep);
        _writer.AddBuffered(bytes.Length);
        return this;
    }

    /// <summary>
    /// Commits the steps appended since the last commit: every column must have been given the same number of
    /// steps (at least one). Committed steps are sent in messages of about
    /// <see cref="TrajectoryWriterOptions.MaxMessageBytes"/>. Completes at once unless the writer holds more
    /// than <see cref="TrajectoryWriterOptions.MaxBufferedBytes"/>; then it waits for the connection to drain.
    /// </summary>
    /// <exception cref="InvalidOperationException">A column was left out, or columns got different step counts.</exception>
    /// <exception cref="TrajectoryWriteException">The writer's stream has failed.</exception>
    public ValueTask CommitStepsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfNotWritable();
        var steps = _columns[0].StagedSteps;
        for (var c = 0; c < _columns.Length; c++)
        {
            if (_columns[c].StagedSteps != steps || steps == 0)
                throw StepCountMismatch();
        }
        foreach (var column in _columns)
            column.Commit();
        CommittedSteps += steps;
        UnsentSteps += steps;
        if (UnsentSteps >= _writer.StepsPerMessage)
            _writer.Cut(this);
        return _writer.WaitForRoomAsync(cancellationToken);
    }

    /// <summary>
    /// Ends the trajectory with one priority (the item's, or every step's for step items). Returns at once; the
    /// task completes when the server acknowledges the trajectory as committed, or fails with
    /// <see cref="TrajectoryWriteException"/>. Awaiting it is optional: the writer keeps at most
    /// <see cref="TrajectoryWriterOptions.MaxTrajectoriesInFlight"/> unacknowledged.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The priority is negative or not finite.</exception>
    /// <exception cref="InvalidOperationException">No steps committed, or steps appended but not committed.</exception>
    public Task<CommittedTrajectory> EndAsync(double priority)
    {
        if (!double.IsFinite(priority) || priority < 0)
            throw new ArgumentOutOfRangeException(nameof(priority), priority, "a priority must be finite and not negative");
        return End(new EndTrajectory { Trajectory = Id, Priority = priority });
    }

    /// <summary>
    /// Ends a trajectory of a step-item table with one priority per committed step. Otherwise as
    /// <see cref="EndAsync(double)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Not one priority per step, a negative or non-finite one, or a table of trajectory items.</exception>
    public Task<CommittedTrajectory> EndAsync(ReadOnlySpan<double> stepPriorities)
    {
        if (_layout.Granularity != ItemGranularity.Step)
            throw new ArgumentException($"table '{_layout.Name}' has trajectory items, which take one priority; step priorities are for step items", nameof(stepPriorities));
        if (stepPriorities.Length != CommittedSteps)
            throw new ArgumentException($"trajectory {Id} has {CommittedSteps} committed steps; got {stepPriorities.Length} step priorities", nameof(stepPriorities));
        var end = new EndTrajectory { Trajectory = Id };
        for (var i = 0; i < stepPriorities.Length; i++)
        {
            var p = stepPriorities[i];
            if (!double.IsFinite(p) || p < 0)
                throw new ArgumentOutOfRangeException(nameof(stepPriorities), p, $"step priority {i} must be finite and not negative");
            end.StepPriorities.Add(p);
        }
        return End(end);
    }

    /// <summary>
    /// Drops the trajectory: nothing of it is kept. The task completes when the server confirms (at once when
    /// nothing was sent yet).
    /// </summary>
    public Task AbandonAsync()
    {
        ThrowIfNotWritable();
        return _writer.Abandon(this);
    }

    private Task<CommittedTrajectory> End(EndTrajectory end)
    {
        ThrowIfNotWritable();
        foreach (var column in _layout.Columns)
        {
            if (_columns[column.Index].StagedSteps != 0)
                throw new InvalidOperationException(
                    $"trajectory {Id}: column {column.Description} has {_columns[column.Index].StagedSteps} appended steps not committed; call CommitStepsAsync before ending the trajectory");
        }
        if (CommittedSteps == 0)
            throw new InvalidOperationException($"trajectory {Id} has no committed steps; append and commit at least one step before ending it");
        return _writer.End(this, end);
    }

    /// <summary>Marks the trajectory closed and returns its buffers; the bytes they held are returned.</summary>
    internal long Close()
    {
        IsOpen = false;
        long held = 0;
        foreach (var column in _columns)
            held += column.Release();
        return held;
    }

    private void ThrowIfNotWritable()
    {
        _writer.ThrowIfFailed();
        if (Failure is { } failure)
        {
            // Released here, on the actor's thread, since the stream's thread that failed it must not touch
            // buffers the actor may be appending into.
            if (IsOpen)
                _writer.AddBuffered(-Close());
            throw failure.Rethrowable();
        }
        if (!IsOpen)
            throw new InvalidOperationException($"trajectory {Id} has already been ended or abandoned");
    }

    private InvalidOperationException StepCountMismatch()
    {
        var counts = string.Join(", ", _layout.Columns.Select(c => $"{c.Description}: {_columns[c.Index].StagedSteps}"));
        var missing = _layout.Columns.FirstOrDefault(c => _columns[c.Index].StagedSteps == 0);
        var lead = missing is not null
            ? $"column {missing.Description} has no appended step"
            : "columns were given different numbers of steps";
        return new InvalidOperationException($"trajectory {Id}: {lead}; every column needs the same number of steps per commit ({counts})");
    }
}
