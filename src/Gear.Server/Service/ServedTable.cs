using System.Diagnostics;
using Gear.Core.Errors;
using Gear.Core.Sampling;
using Gear.Core.Tables;
using Gear.Server.Admin.Metrics;
using Gear.Server.WriteAheadLog;

namespace Gear.Server.Service;

/// <summary>
/// A table as the service serves it: the Core table plus what lets it be dropped safely while calls use it.
/// Every call holds a lease for as long as it touches the table; dropping refuses new leases, cancels waits
/// (rate-limited samples and inserts) through <see cref="Dropping"/>, and frees the table's memory only after
/// the last lease is returned, so a gather or an append never touches freed pages.
/// </summary>
internal sealed class ServedTable
{
    private readonly CancellationTokenSource _dropping = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _leases;
    private bool _dropped;

    public ServedTable(Table table)
    {
        Table = table;
        Buffers = new GatherBufferPool(table.Spec.Columns);
    }

    /// <summary>The Core table.</summary>
    public Table Table { get; }

    /// <summary>The table's name.</summary>
    public string Name => Table.Name;

    /// <summary>Output buffers for samples of this table, reused across calls.</summary>
    public GatherBufferPool Buffers { get; }

    /// <summary>The table's write-ahead log, or null when it is not logged.</summary>
    public TableLog? Log { get; private set; }

    /// <summary>Starts logging the table (once, before it serves calls that commit).</summary>
    public void AttachLog(TableLog log)
    {
        if (Log is not null)
            throw new InvalidOperationException($"table '{Name}' already has a write-ahead log");
        Log = log;
    }

    /// <summary>
    /// Samples <paramref name="request"/> into <paramref name="batch"/> and counts it in <paramref name="metrics"/>:
    /// gathered, or with <paramref name="hold"/> held (metadata and mask only; the columns stay in the table's pages
    /// until the batch is released). Waits on the rate limiter up to <paramref name="timeout"/> or until
    /// <paramref name="cancellationToken"/> fires. Every sampling path of the service (Sample, SampleStream, both
    /// data planes) goes through here.
    /// </summary>
    public async Task SampleAsync(GearMetrics metrics, SampleRequest request, RandomStream random, WindowBatch batch, bool hold,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var sampling = hold
            ? Table.SampleHeldAsync(request, random, batch, timeout, cancellationToken)
            : Table.SampleAsync(request, random, batch, timeout, cancellationToken);
        var waited = !sampling.IsCompleted; // the rate limiter is the only thing sampling waits for
        await sampling.ConfigureAwait(false);
        metrics.Sampled(Name, batch, Stopwatch.GetElapsedTime(started), waited);
    }

    /// <summary>
    /// Appends a sealed record to the table's log and waits until it is durable. If the log cannot write it, the
    /// mutation stands in memory but is not acknowledged: the caller gets INTERNAL naming the log's problem.
    /// </summary>
    public async Task MakeDurableAsync(LogRecord record, string what)
    {
        try
        {
            await Log!.AppendAsync(record).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            throw new GearException(GearErrorCode.Internal,
                $"{what}: applied to table '{Name}' but not made durable, so not acknowledged: {e.Message}");
        }
    }

    /// <summary>Cancelled when the table is being dropped; waits on the table link to it.</summary>
    public CancellationToken Dropping => _dropping.Token;

    /// <summary>Takes a lease for one use of the table.</summary>
    /// <exception cref="GearException">NotFound once the table is being dropped.</exception>
    public Lease Acquire() =>
        TryAcquire(out var lease) ? lease : throw new GearException(GearErrorCode.NotFound, $"table '{Name}' was dropped");

    /// <summary>Takes a lease unless the table is being dropped.</summary>
    public bool TryAcquire(out Lease lease)
    {
        lock (_dropping)
        {
            if (_dropped)
            {
                lease = default;
                return false;
            }
            _leases++;
        }
        lease = new Lease(this);
        return true;
    }

    /// <summary>
    /// Refuses new leases, cancels waits, and completes when the last lease is returned; then frees the table and
    /// closes its log, deleting the log when <paramref name="deleteLog"/> (a drop, as opposed to a shutdown).
    /// </summary>
    public async Task DropAsync(bool deleteLog)
    {
        lock (_dropping)
        {
            if (_dropped)
                return;
            _dropped = true;
            if (_leases == 0)
                _drained.TrySetResult();
        }
        _dropping.Cancel();
        await _drained.Task.ConfigureAwait(false);
        Table.Dispose();
        Buffers.Dispose();
        _dropping.Dispose();
        if (Log is not null)
            await (deleteLog ? Log.DeleteAsync() : Log.DisposeAsync().AsTask()).ConfigureAwait(false);
    }

    private void Release()
    {
        lock (_dropping)
        {
            if (--_leases == 0 && _dropped)
                _drained.TrySetResult();
        }
    }

    /// <summary>One use of a table; dispose it when the use ends.</summary>
    public readonly struct Lease(ServedTable table) : IDisposable
    {
        /// <summary>The leased table.</summary>
        public ServedTable Served => table;

        /// <summary>The Core table.</summary>
        public Table Table => table.Table;

        /// <summary>Returns the lease.</summary>
        public void Dispose() => table.Release();
    }
}
