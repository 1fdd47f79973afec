using Gear.Core.Compute;
using Gear.Core.Schema;
using Gear.Core.Tables;
using Gear.Server.Progress;
using Microsoft.Extensions.Logging;

namespace Gear.Server.WriteAheadLog;

/// <summary>
/// The server's write-ahead logs: one directory per logged table (<c>table-NAME</c>) under the configured
/// directory. Creates the logs of new tables and, at start, replays every log found over the tables the
/// checkpoint restored (creating from the log's own spec a table the checkpoint does not have).
/// </summary>
public sealed class WriteAheadLogs
{
    private const string TablePrefix = "table-";
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;

    /// <summary>Logs under <paramref name="settings"/>' directory.</summary>
    public WriteAheadLogs(WriteAheadLogSettings settings, ILoggerFactory loggers)
    {
        Settings = settings;
        _loggers = loggers;
        _logger = loggers.CreateLogger<WriteAheadLogs>();
    }

    /// <summary>The settings.</summary>
    public WriteAheadLogSettings Settings { get; }

    /// <summary>The log directory of table <paramref name="table"/> (table names are safe file names).</summary>
    public string DirectoryOf(string table) => Path.Combine(Settings.Directory, TablePrefix + table);

    /// <summary>Starts the log of a table that has none yet; an old directory of that name is cleared first.</summary>
    public TableLog Create(TableSpec spec)
    {
        var directory = DirectoryOf(spec.Name);
        if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
        return TableLog.Open(directory, spec, Settings, new Dictionary<int, long>(), _loggers.CreateLogger<TableLog>());
    }

    /// <summary>
    /// Replays every table log in the directory. <paramref name="find"/> gives the served table of a name (with
    /// the checkpoint's state) or null, in which case the table is created from the log's spec and handed to
    /// <paramref name="adopt"/>. Each log is then reopened for appending and handed to <paramref name="attach"/>.
    /// A log that cannot be replayed is reported and left on disk, and its table is not logged.
    /// </summary>
    public void Recover(Func<string, Table?> find, Action<Table> adopt, Action<Table, TableLog> attach, IComputeBackend backend,
        ProgressDisplay? progress = null)
    {
        if (!Directory.Exists(Settings.Directory))
            return;
        foreach (var directory in Directory.GetDirectories(Settings.Directory, TablePrefix + "*").Order(StringComparer.Ordinal))
        {
            var segments = Directory.GetFiles(directory)
                .Where(path => LogSegmentFormat.NumberOf(Path.GetFileName(path)) is not null)
                .Order(StringComparer.Ordinal)
                .ToList();
            Table? created = null;
            try
            {
                RemoveTornNewestSegment(segments);
                if (segments.Count == 0)
                    continue;
                var table = find(Path.GetFileName(directory)[TablePrefix.Length..]);
                if (table is null)
                {
                    using var first = LogSegmentReader.Open(segments[0]);
                    table = created = new Table(first.Spec, backend);
                }
                var result = LogReplay.Replay(table, segments, _logger, progress);
                _logger.LogInformation("write-ahead log of table {Table}: replayed {Commits} commits, {Deletes} deletes, {Resets} resets " +
                    "from {Segments} segments ({Skipped} records were already in the checkpoint)",
                    table.Name, result.Counts.Commits, result.Counts.Deletes, result.Counts.Resets, segments.Count, result.Counts.Skipped);
                var log = TableLog.Open(directory, table.Spec, Settings, result.SegmentMaxima, _loggers.CreateLogger<TableLog>());
                if (created is not null)
                    adopt(created);
                created = null;
                attach(table, log);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or Core.Errors.GearException)
            {
                created?.Dispose();
                _logger.LogError("write-ahead log in {Directory} cannot be replayed and is left as it is; its table is not logged: {Problem}",
                    directory, e.Message);
            }
        }
    }

    /// <summary>
    /// Removes the newest segment when it ends inside its header (<see cref="LogSegmentReader.EndsInsideHeader"/>):
    /// the process died while opening it, after a rotation or at start, so it holds no record, and left in place it
    /// would stop the whole log from being replayed and take the number the reopened log writes next.
    /// </summary>
    private void RemoveTornNewestSegment(List<string> segments)
    {
        if (segments.Count == 0 || !LogSegmentReader.EndsInsideHeader(segments[^1]))
            return;
        _logger.LogWarning("write-ahead log: {Segment} ends inside its header (the server stopped while creating it); it holds no records and is removed",
            segments[^1]);
        File.Delete(segments[^1]);
        segments.RemoveAt(segments.Count - 1);
    }
}
