using System.Collections.Concurrent;
using Gear.Core.Compute;
using Gear.Core.Errors;
using Gear.Core.Tables;
using Gear.Server.Progress;
using Gear.Server.WriteAheadLog;
using Microsoft.Extensions.Logging;
using Wire = Gear.Protocol.V1;

namespace Gear.Server.Service;

/// <summary>The tables a server serves, by name.</summary>
public sealed class TableRegistry : IDisposable
{
    /// <summary>Most tables one server holds; each allocates its memory up front, so this bounds mistakes.</summary>
    public const int MaxTables = 1024;

    private readonly ConcurrentDictionary<string, ServedTable> _tables = new(StringComparer.Ordinal);
    private readonly object _changes = new();
    private readonly IComputeBackend _backend;
    private readonly ILogger<TableRegistry> _logger;

    /// <summary>
    /// Creates an empty registry whose tables use <paramref name="backend"/> and, when they ask for one, keep
    /// their write-ahead log in <paramref name="logs"/>.
    /// </summary>
    public TableRegistry(IComputeBackend backend, ILogger<TableRegistry> logger, WriteAheadLogs? logs = null)
    {
        _backend = backend;
        _logger = logger;
        Logs = logs;
    }

    /// <summary>Where logged tables keep their logs; null when the server has no log directory.</summary>
    public WriteAheadLogs? Logs { get; }

    /// <summary>The tables served now.</summary>
    public IReadOnlyCollection<Table> Tables => _tables.Values.Select(t => t.Table).ToArray();

    /// <summary>The tables served now, as the service holds them.</summary>
    internal IReadOnlyCollection<ServedTable> Served => _tables.Values.ToArray();

    /// <summary>Number of tables served now.</summary>
    public int Count => _tables.Count;

    /// <summary>Creates a table from a wire spec and allocates its storage.</summary>
    /// <exception cref="GearException">InvalidArgument (bad spec), AlreadyExists, ResourceExhausted.</exception>
    public Table Create(Wire.TableSpec spec)
    {
        var coreSpec = TableSpecMapping.ToCore(spec);
        coreSpec.Validate();
        if (spec.WriteAheadLog && Logs is null)
            throw new GearException(GearErrorCode.FailedPrecondition,
                $"table '{coreSpec.Name}' asks for a write-ahead log but the server has none configured (writeAheadLog.directory)");
        lock (_changes)
        {
            if (_tables.ContainsKey(coreSpec.Name))
                throw new GearException(GearErrorCode.AlreadyExists, $"table '{coreSpec.Name}' already exists");
            if (_tables.Count >= MaxTables)
                throw new GearException(GearErrorCode.ResourceExhausted, $"the server already serves {MaxTables} tables, the most it allows");
            Table table;
            try
            {
                table = new Table(coreSpec, _backend);
            }
            catch (OutOfMemoryException)
            {
                throw new GearException(GearErrorCode.ResourceExhausted,
                    $"table '{coreSpec.Name}': host_capacity_bytes {coreSpec.HostCapacityBytes} could not be allocated");
            }
            var served = new ServedTable(table);
            if (spec.WriteAheadLog)
                served.AttachLog(CreateLog(table));
            _tables[coreSpec.Name] = served;
            _logger.LogInformation("table '{Table}': {Sampler} sampler, {Granularity} items, {HostMiB:0.#} MiB host memory, columns {Columns}",
                coreSpec.Name, coreSpec.Sampler, coreSpec.Granularity, table.GetInfo().BytesReserved / (1024.0 * 1024.0),
                string.Join(", ", coreSpec.Columns));
            return table;
        }
    }

    /// <summary>
    /// Serves an existing table (one restored from a checkpoint); the registry owns it from now on.
    /// </summary>
    /// <exception cref="GearException">AlreadyExists.</exception>
    public void Add(Table table)
    {
        ArgumentNullException.ThrowIfNull(table);
        lock (_changes)
        {
            if (_tables.ContainsKey(table.Name))
                throw new GearException(GearErrorCode.AlreadyExists, $"table '{table.Name}' already exists");
            _tables[table.Name] = new ServedTable(table);
        }
        var info = table.GetInfo();
        _logger.LogInformation("table '{Table}': restored with {Items} items, {Steps} steps", table.Name, info.ItemCount, info.StoredSteps);
    }

    /// <summary>Starts a write-ahead log for a served table that has none (a config table restored from a checkpoint).</summary>
    /// <exception cref="GearException">FailedPrecondition when the server has no log directory.</exception>
    public void EnsureLogged(string name)
    {
        using var lease = Lease(name);
        if (lease.Served.Log is null)
            lease.Served.AttachLog(CreateLog(lease.Table));
    }

    /// <summary>
    /// Replays every write-ahead log on disk over the tables served now (restored from a checkpoint) and keeps
    /// logging them; a log whose table is not served brings its table back from the log's own spec.
    /// </summary>
    public void RecoverLogs(ProgressDisplay? progress = null) =>
        Logs?.Recover(
            find: name => _tables.TryGetValue(name, out var served) ? served.Table : null,
            adopt: Add,
            attach: (table, log) => _tables[table.Name].AttachLog(log),
            _backend, progress);

    private TableLog CreateLog(Table table)
    {
        if (Logs is null)
            throw new GearException(GearErrorCode.FailedPrecondition,
                $"table '{table.Name}' asks for a write-ahead log but the server has none configured (writeAheadLog.directory)");
        try
        {
            return Logs.Create(table.Spec);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GearException(GearErrorCode.Internal, $"table '{table.Name}': its write-ahead log could not be created: {e.Message}");
        }
    }

    /// <summary>Whether a table called <paramref name="name"/> is served.</summary>
    public bool Contains(string name) => _tables.ContainsKey(name);

    /// <summary>Drops a table: new calls get NotFound, waiting calls fail, memory is freed once calls end.</summary>
    /// <exception cref="GearException">NotFound.</exception>
    public void Drop(string name) => DropAsync(name).GetAwaiter().GetResult();

    /// <summary>The asynchronous form of <see cref="Drop"/>; a dropped table's write-ahead log is deleted.</summary>
    public Task DropAsync(string name) => DropAsync(name, deleteLog: true);

    private Task DropAsync(string name, bool deleteLog)
    {
        ServedTable? served;
        lock (_changes)
        {
            if (!_tables.TryRemove(name, out served))
                throw NotFound(name);
        }
        _logger.LogInformation("Dropped table {Table}", name);
        return served.DropAsync(deleteLog);
    }

    /// <summary>Leases the table called <paramref name="name"/> for one use.</summary>
    /// <exception cref="GearException">InvalidArgument (empty name), NotFound.</exception>
    internal ServedTable.Lease Lease(string name)
    {
        if (string.IsNullOrEmpty(name))
            throw new GearException(GearErrorCode.InvalidArgument, "table must name a table");
        if (!_tables.TryGetValue(name, out var served))
            throw NotFound(name);
        return served.Acquire();
    }

    /// <summary>Releases every table and closes (keeps) their write-ahead logs (server shutdown).</summary>
    public void Dispose()
    {
        foreach (var name in _tables.Keys.ToArray())
        {
            try
            {
                DropAsync(name, deleteLog: false).GetAwaiter().GetResult();
            }
            catch (GearException)
            {
                // Dropped concurrently: nothing left to free.
            }
        }
    }

    private static GearException NotFound(string name) =>
        new(GearErrorCode.NotFound, $"table '{name}' does not exist");
}
