namespace Gear.Server.Progress;

/// <summary>What an operation's progress counts.</summary>
public enum ProgressUnit
{
    /// <summary>Bytes (shown as KiB, MiB, GiB).</summary>
    Bytes,

    /// <summary>Log records.</summary>
    Records,
}

/// <summary>
/// One long operation being shown by a <see cref="ProgressDisplay"/>. Report progress with <see cref="Add"/> or
/// <see cref="Report"/> from any thread; dispose it when the operation ends, which stops the display.
/// </summary>
public sealed class OperationProgress : IProgress<long>, IDisposable
{
    private readonly CancellationTokenSource _ended = new();
    private readonly Thread? _display;
    private long _done;

    internal OperationProgress(string operation, long total, ProgressUnit unit, ProgressDisplay? display = null)
    {
        Operation = operation;
        Total = total;
        Unit = unit;
        if (display is null)
            return;
        // A thread of its own: the display sleeps between updates and must not hold a pool thread meanwhile.
        _display = new Thread(() => display.Run(this, _ended.Token)) { IsBackground = true, Name = "gear progress" };
        _display.Start();
    }

    /// <summary>What is being done ("checkpoint", "restore of ckpt-…", "replay of table t").</summary>
    public string Operation { get; }

    /// <summary>Units to do in all.</summary>
    public long Total { get; }

    /// <summary>What is counted.</summary>
    public ProgressUnit Unit { get; }

    /// <summary>Units done so far.</summary>
    public long Done => Interlocked.Read(ref _done);

    /// <summary>Adds <paramref name="units"/> done.</summary>
    public void Add(long units) => Interlocked.Add(ref _done, units);

    /// <summary>Sets the units done so far.</summary>
    public void Report(long value) => Interlocked.Exchange(ref _done, value);

    /// <summary>"512 MiB of 1.0 GiB (50%)" or "1,200 of 4,000 records (30%)".</summary>
    public string Describe()
    {
        var done = Done;
        var percent = Total > 0 ? Math.Min(100, 100.0 * done / Total) : 100;
        return Unit == ProgressUnit.Bytes
            ? $"{Bytes(done)} of {Bytes(Total)} ({percent:0}%)"
            : $"{done:N0} of {Total:N0} records ({percent:0}%)";
    }

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        _ => $"{bytes / 1024.0:0.0} KiB",
    };

    /// <summary>Ends the operation's display.</summary>
    public void Dispose()
    {
        _ended.Cancel();
        _display?.Join();
        _ended.Dispose();
    }
}
