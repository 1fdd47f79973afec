using System.Threading.Channels;
using Gear.Core.Schema;
using Gear.Server.Checkpoints;
using Microsoft.Extensions.Logging;

namespace Gear.Server.WriteAheadLog;

/// <summary>
/// The write-ahead log of one table: a directory of segments, appended to by one writer task. Records queue up
/// while a write and its fsync run, and the next write takes all of them with one fsync (group commit), so
/// many actors committing at once share the cost of each fsync. A segment is closed when it grows past
/// <see cref="SegmentBytes"/> and after each checkpoint; closed segments that every kept checkpoint covers are
/// deleted.
/// </summary>
public sealed class TableLog : IAsyncDisposable
{
    /// <summary>A segment is closed once it holds this many bytes.</summary>
    public const long SegmentBytes = 64L << 20;

    private readonly Channel<LogRecord> _queue = Channel.CreateUnbounded<LogRecord>(new UnboundedChannelOptions { SingleReader = true });
    private readonly object _file = new();
    private readonly SortedDictionary<int, long> _closedSegments; // segment number -> highest sequence in it
    private readonly byte[] _header;
    private readonly WriteAheadLogSettings _settings;
    private readonly ILogger _logger;
    private readonly Task _writer;
    private readonly Task _intervalFsync;
    private readonly CancellationTokenSource _stopping = new();
    private FileStream _segment;
    private int _segmentNumber;
    private long _segmentMaxSequence;
    private long _goodLength;
    private long _fsyncs;
    private long _recordsWritten;
    private Exception? _broken;

    private TableLog(string directory, TableSpec spec, WriteAheadLogSettings settings, IReadOnlyDictionary<int, long> closedSegments, ILogger logger)
    {
        Directory = directory;
        TableName = spec.Name;
        _settings = settings;
        _logger = logger;
        _header = LogSegmentFormat.Header(spec);
        _closedSegments = new SortedDictionary<int, long>(closedSegments.ToDictionary());
        _segmentNumber = closedSegments.Count == 0 ? 0 : closedSegments.Keys.Max();
        _segment = OpenNextSegment();
        _writer = Task.Factory.StartNew(WriteLoopAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        _intervalFsync = settings.Fsync == FsyncPolicy.Interval ? FsyncPeriodicallyAsync() : Task.CompletedTask;
    }

    /// <summary>
    /// Opens a table's log for appending in a new segment after <paramref name="closedSegments"/> (the segments
    /// already there, with the highest sequence each holds), creating the directory if needed.
    /// </summary>
    public static TableLog Open(string directory, TableSpec spec, WriteAheadLogSettings settings, IReadOnlyDictionary<int, long> closedSegments, ILogger logger)
    {
        var created = !System.IO.Directory.Exists(directory);
        System.IO.Directory.CreateDirectory(directory);
        if (created)
            DirectorySync.Flush(Path.GetDirectoryName(directory)!);
        return new TableLog(directory, spec, settings, closedSegments, logger);
    }

    /// <summary>The log's directory.</summary>
    public string Directory { get; }

    /// <summary>The table logged.</summary>
    public string TableName { get; }

    /// <summary>Segments in the directory now, the one being written included.</summary>
    public int SegmentCount
    {
        get
        {
            lock (_file)
                return _closedSegments.Count + 1;
        }
    }

    /// <summary>fsyncs of record batches so far (with group commit, fewer than records when commits overlap).</summary>
    public long Fsyncs => Interlocked.Read(ref _fsyncs);

    /// <summary>Records written so far.</summary>
    public long RecordsWritten => Interlocked.Read(ref _recordsWritten);

    /// <summary>
    /// Queues a sealed record; the returned task completes when it is durable under the fsync policy and faults
    /// (IOException) when it could not be written. The log owns the record from here on.
    /// </summary>
    public Task AppendAsync(LogRecord record)
    {
        if (!_queue.Writer.TryWrite(record))
            record.Complete(new ObjectDisposedException($"the write-ahead log of table '{TableName}' is closed"));
        return record.Durable;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<LogRecord>();
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < 4096 && _queue.Reader.TryRead(out var record))
                batch.Add(record);
            var failure = WriteBatch(batch);
            foreach (var record in batch)
                record.Complete(failure);
        }
    }

    private Exception? WriteBatch(List<LogRecord> batch)
    {
        lock (_file)
        {
            if (_broken is not null)
                return new IOException($"the write-ahead log of table '{TableName}' failed earlier and takes no more records: {_broken.Message}", _broken);
            try
            {
                foreach (var record in batch)
                {
                    _segment.Write(record.Bytes);
                    _segmentMaxSequence = Math.Max(_segmentMaxSequence, record.Sequence);
                }
                if (_settings.Fsync == FsyncPolicy.Commit)
                {
                    _segment.Flush(flushToDisk: true);
                    Interlocked.Increment(ref _fsyncs);
                }
                _goodLength = _segment.Position;
                Interlocked.Add(ref _recordsWritten, batch.Count);
                if (_goodLength >= SegmentBytes)
                    RotateLocked();
                return null;
            }
            // ArgumentOutOfRangeException: a segment grown past what the file system or the process may hold (EFBIG).
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
            {
                _logger.LogError("write-ahead log of table {Table}: writing {Count} records to {Segment} failed: {Problem}",
                    TableName, batch.Count, _segment.Name, e.Message);
                CutBackLocked();
                return new IOException($"the write-ahead log of table '{TableName}' could not be written: {e.Message}", e);
            }
        }
    }

    /// <summary>
    /// After a failed write: cuts the segment back to its last whole record and starts a new one, so a record
    /// written in part is never followed by whole ones. If even that fails, the log takes no more records.
    /// </summary>
    private void CutBackLocked()
    {
        try
        {
            _segment.SetLength(_goodLength);
            _segment.Position = _goodLength;
            RotateLocked();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _broken = e;
            _logger.LogCritical("write-ahead log of table {Table} is broken and takes no more records (commits to the table fail until a restart): {Problem}",
                TableName, e.Message);
        }
    }

    private async Task FsyncPeriodicallyAsync()
    {
        using var timer = new PeriodicTimer(_settings.FsyncInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                lock (_file)
                {
                    try
                    {
                        if (_broken is null)
                            _segment.Flush(flushToDisk: true);
                    }
                    catch (IOException e)
                    {
                        _logger.LogError("write-ahead log of table {Table}: periodic fsync failed: {Problem}", TableName, e.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Closes the segment being written and starts the next (after a checkpoint, so the old one can go).</summary>
    public void Rotate()
    {
        lock (_file)
        {
            if (_broken is null)
                RotateLocked();
        }
    }

    private void RotateLocked()
    {
        _segment.Flush(flushToDisk: true);
        _segment.Dispose();
        _closedSegments[_segmentNumber] = _segmentMaxSequence;
        _segment = OpenNextSegment();
    }

    private FileStream OpenNextSegment()
    {
        _segmentNumber++;
        _segmentMaxSequence = 0;
        var path = Path.Combine(Directory, LogSegmentFormat.FileName(_segmentNumber));
        // Unbuffered: each batch goes to the file in one write per record, and Flush(true) is an fsync.
        var segment = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
        segment.Write(_header);
        segment.Flush(flushToDisk: true);
        DirectorySync.Flush(Directory);
        _goodLength = segment.Position;
        return segment;
    }

    /// <summary>
    /// Deletes the closed segments whose records are all at or below <paramref name="coveredSequence"/> (every
    /// checkpoint kept holds them), oldest first, stopping at the first that is still needed.
    /// </summary>
    public void PruneThrough(long coveredSequence)
    {
        lock (_file)
        {
            foreach (var (number, maxSequence) in _closedSegments.ToArray())
            {
                if (maxSequence > coveredSequence)
                    break;
                var path = Path.Combine(Directory, LogSegmentFormat.FileName(number));
                try
                {
                    File.Delete(path);
                    _closedSegments.Remove(number);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _logger.LogWarning("write-ahead log of table {Table}: could not delete {Segment}: {Problem}", TableName, path, e.Message);
                    break;
                }
            }
        }
    }

    /// <summary>Writes what is queued, fsyncs and closes the segment.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _intervalFsync.ConfigureAwait(false);
        lock (_file)
        {
            try
            {
                if (_broken is null)
                    _segment.Flush(flushToDisk: true);
            }
            catch (IOException e)
            {
                _logger.LogError("write-ahead log of table {Table}: final fsync failed: {Problem}", TableName, e.Message);
            }
            _segment.Dispose();
        }
        _stopping.Dispose();
    }

    /// <summary>Closes the log and deletes its directory (the table was dropped).</summary>
    public async Task DeleteAsync()
    {
        await DisposeAsync().ConfigureAwait(false);
        System.IO.Directory.Delete(Directory, recursive: true);
        DirectorySync.Flush(Path.GetDirectoryName(Directory)!);
    }
}
