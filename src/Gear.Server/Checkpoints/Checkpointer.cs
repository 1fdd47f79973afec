using Gear.Core.Errors;
using Gear.Server.Service;
using Microsoft.Extensions.Logging;

namespace Gear.Server.Checkpoints;

/// <summary>
/// Takes checkpoints of every table a <see cref="TableRegistry"/> serves into a <see cref="CheckpointStore"/>:
/// on demand (the Checkpoint RPC), periodically, and at shutdown.
/// </summary>
public sealed class Checkpointer
{
    private readonly TableRegistry _tables;
    private readonly ILogger _logger;

    /// <summary>Checkpoints <paramref name="tables"/> into <paramref name="store"/>.</summary>
    public Checkpointer(TableRegistry tables, CheckpointStore store, ILogger logger)
    {
        _tables = tables;
        Store = store;
        _logger = logger;
    }

    /// <summary>Where checkpoints go.</summary>
    public CheckpointStore Store { get; }

    /// <summary>Checkpoints every table served now (tables being dropped are left out).</summary>
    public async Task<CheckpointResult> CheckpointAsync(CancellationToken cancellationToken = default)
    {
        var leases = new List<ServedTable.Lease>();
        try
        {
            foreach (var served in _tables.Served)
            {
                if (served.TryAcquire(out var lease))
                    leases.Add(lease);
            }
            var result = await Store.WriteAsync(leases.Select(l => l.Table).ToArray(), cancellationToken).ConfigureAwait(false);
            PruneLogs(leases);
            return result;
        }
        finally
        {
            foreach (var lease in leases)
                lease.Dispose();
        }
    }

    /// <summary>
    /// After a checkpoint: each logged table starts a new log segment, and segments that every kept checkpoint
    /// already holds are deleted.
    /// </summary>
    private void PruneLogs(List<ServedTable.Lease> leases)
    {
        IReadOnlyDictionary<string, long>? covered = null;
        foreach (var lease in leases)
        {
            if (lease.Served.Log is not { } log)
                continue;
            covered ??= Store.LogSequencesCoveredByAll();
            log.Rotate();
            if (covered.TryGetValue(log.TableName, out var sequence))
                log.PruneThrough(sequence);
        }
    }

    /// <summary>Checkpoints every <paramref name="interval"/> until <paramref name="stopping"/>; failures are logged.</summary>
    public async Task RunPeriodicAsync(TimeSpan interval, CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
                await TryCheckpointAsync("periodic", stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Checkpoints, logging (not throwing) a failure; null when it failed.</summary>
    public async Task<CheckpointResult?> TryCheckpointAsync(string why, CancellationToken cancellationToken = default)
    {
        try
        {
            return await CheckpointAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or GearException)
        {
            _logger.LogError("{Why} checkpoint into {Directory} failed: {Problem}", why, Store.Directory, e.Message);
            return null;
        }
    }
}
