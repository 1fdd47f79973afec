using System.Diagnostics;
using System.Globalization;
using Gear.Core.Compute;
using Gear.Core.Tables;
using Gear.Server.Progress;
using Microsoft.Extensions.Logging;

namespace Gear.Server.Checkpoints;

/// <summary>
/// Checkpoints in one directory. Each is a directory <c>ckpt-YYYYMMDD-HHMMSS-fff</c> holding one snapshot
/// file per table (<c>table-N.snap</c>, the <see cref="TableSnapshot"/> format) and <c>manifest.json</c>.
/// A checkpoint is written into <c>.tmp-*</c>, every file fsynced, the directory fsynced, then renamed into
/// place and the parent fsynced: a checkpoint directory is complete or absent, never partial. The newest
/// <see cref="Keep"/> are kept. Thread-safe: checkpoints are taken one at a time.
/// </summary>
public sealed class CheckpointStore
{
    /// <summary>Prefix of checkpoint directory names (their names sort by time).</summary>
    public const string Prefix = "ckpt-";

    private const string TempPrefix = ".tmp-";
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly ILogger _logger;
    private readonly ProgressDisplay _progress;

    /// <summary>
    /// A store over <paramref name="directory"/> (created if absent) keeping the newest <paramref name="keep"/>,
    /// showing long saves and restores on <paramref name="progress"/>.
    /// </summary>
    public CheckpointStore(string directory, int keep, ILogger logger, ProgressDisplay? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        Directory = Path.GetFullPath(directory);
        Keep = keep;
        _logger = logger;
        _progress = progress ?? ProgressDisplay.None;
    }

    /// <summary>The checkpoints directory.</summary>
    public string Directory { get; }

    /// <summary>How many checkpoints are kept.</summary>
    public int Keep { get; }

    /// <summary>The last checkpoint written by this store, if any.</summary>
    public CheckpointResult? Last { get; private set; }

    /// <summary>
    /// Writes a checkpoint of <paramref name="tables"/> (consistent: all their locks are held while they are
    /// snapshotted) and prunes old ones. Returns where it went and how long inserts paused.
    /// </summary>
    public async Task<CheckpointResult> WriteAsync(IReadOnlyList<Table> tables, CancellationToken cancellationToken = default)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => Write(tables), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }
    }

    private CheckpointResult Write(IReadOnlyList<Table> tables)
    {
        var started = Stopwatch.GetTimestamp();
        System.IO.Directory.CreateDirectory(Directory);
        var created = DateTime.UtcNow;
        var temp = Path.Combine(Directory, TempPrefix + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(temp);
        var streams = new List<FileStream>();
        // Each byte is written once and read back once for its checksum; the step data is nearly all of them.
        using var progress = _progress.Start("checkpoint", 2 * tables.Sum(StepDataBytes), ProgressUnit.Bytes);
        try
        {
            for (var i = 0; i < tables.Count; i++)
                streams.Add(new FileStream(Path.Combine(temp, FileName(i)), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16));
            var pause = Table.WriteSnapshots(tables, streams.Select(stream => new ProgressStream(stream, progress)).ToArray());
            var entries = new List<CheckpointTableEntry>();
            for (var i = 0; i < tables.Count; i++)
            {
                var stream = streams[i];
                stream.Flush(flushToDisk: true);
                stream.Position = stream.Length - TableSnapshot.ChecksumBytes;
                var checksum = new byte[TableSnapshot.ChecksumBytes];
                stream.ReadExactly(checksum);
                stream.Position = 0;
                var header = TableSnapshot.ReadHeaderOnly(stream);
                entries.Add(new CheckpointTableEntry(tables[i].Name, FileName(i), stream.Length, Convert.ToHexStringLower(checksum),
                    header.ItemCount, header.StoredSteps, header.LogSequence));
            }
            foreach (var stream in streams)
                stream.Dispose();
            streams.Clear();

            var manifest = new CheckpointManifest { FormatVersion = 1, CreatedUtc = created, PauseMs = pause.TotalMilliseconds, Tables = entries };
            using (var file = new FileStream(Path.Combine(temp, CheckpointManifest.FileName), FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(System.Text.Encoding.UTF8.GetBytes(manifest.ToJson()));
                file.Flush(flushToDisk: true);
            }
            DirectorySync.Flush(temp);

            var final = Path.Combine(Directory, UniqueName(created));
            System.IO.Directory.Move(temp, final);
            DirectorySync.Flush(Directory);
            var result = new CheckpointResult(final, created, pause, Stopwatch.GetElapsedTime(started), entries.Sum(e => e.Bytes));
            Last = result;
            _logger.LogInformation("checkpoint {Path}: {Tables} tables, {MiB:0.#} MiB, inserts paused {Pause:0.#} ms, {Total:0.#} ms in all",
                final, tables.Count, result.Bytes / (1024.0 * 1024.0), pause.TotalMilliseconds, result.Elapsed.TotalMilliseconds);
            PruneLocked();
            return result;
        }
        catch (Exception e)
        {
            foreach (var stream in streams)
                stream.Dispose();
            TryDelete(temp);
            // A file grown past what the file system or the process may hold (EFBIG) surfaces from .NET as
            // ArgumentOutOfRangeException, not as IOException like a full disk (ENOSPC): report both alike.
            if (e is ArgumentOutOfRangeException)
                throw new IOException($"writing into {temp}: {e.Message}", e);
            throw;
        }
    }

    private static long StepDataBytes(Table table) => table.GetInfo().StoredSteps * table.Spec.StepBytes;

    private string UniqueName(DateTime created)
    {
        var name = Prefix + created.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture);
        var candidate = name;
        for (var n = 1; System.IO.Directory.Exists(Path.Combine(Directory, candidate)); n++)
            candidate = $"{name}-{n:D3}";
        return candidate;
    }

    private static string FileName(int index) => $"table-{index}.snap";

    /// <summary>
    /// Deletes all but the newest <see cref="Keep"/> checkpoints, and leftovers of interrupted writes (one
    /// server writes to a directory, so a temp directory not being written by this store is a leftover).
    /// </summary>
    public void Prune()
    {
        _writing.Wait();
        try
        {
            PruneLocked();
        }
        finally
        {
            _writing.Release();
        }
    }

    private void PruneLocked()
    {
        var all = List(Directory);
        foreach (var old in all.Take(Math.Max(0, all.Count - Keep)))
            TryDelete(old);
        foreach (var temp in System.IO.Directory.EnumerateDirectories(Directory, TempPrefix + "*"))
            TryDelete(temp);
    }

    private void TryDelete(string path)
    {
        try
        {
            System.IO.Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("could not delete {Path}: {Message}", path, e.Message);
        }
    }

    /// <summary>
    /// Per table, the last logged mutation that every kept checkpoint holds: the table's log sequence in the
    /// oldest checkpoint kept (a restore may fall back as far as that one). Tables it lacks are absent.
    /// </summary>
    public IReadOnlyDictionary<string, long> LogSequencesCoveredByAll()
    {
        var oldest = List(Directory).FirstOrDefault();
        if (oldest is null)
            return new Dictionary<string, long>();
        try
        {
            var manifest = CheckpointManifest.Parse(File.ReadAllText(Path.Combine(oldest, CheckpointManifest.FileName)));
            return manifest.Tables.ToDictionary(t => t.Name, t => t.LogSequence, StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            _logger.LogWarning("cannot read the manifest of {Path}, so no log segments are pruned: {Problem}", oldest, e.Message);
            return new Dictionary<string, long>();
        }
    }

    /// <summary>The checkpoint directories in <paramref name="directory"/>, oldest first (complete ones only: temp directories are not listed).</summary>
    public static IReadOnlyList<string> List(string directory) =>
        System.IO.Directory.Exists(directory)
            ? System.IO.Directory.GetDirectories(directory, Prefix + "*").Order(StringComparer.Ordinal).ToArray()
            : [];

    /// <summary>
    /// Checks a checkpoint: its manifest, and every file's length and checksum against it and against the
    /// file's own trailer. Returns the manifest.
    /// </summary>
    /// <exception cref="InvalidDataException">Names the file and the problem.</exception>
    public static CheckpointManifest Verify(string checkpoint) => Verify(checkpoint, progress: null);

    private static CheckpointManifest Verify(string checkpoint, OperationProgress? progress)
    {
        var manifestPath = Path.Combine(checkpoint, CheckpointManifest.FileName);
        if (!File.Exists(manifestPath))
            throw new InvalidDataException($"{manifestPath}: missing");
        CheckpointManifest manifest;
        try
        {
            manifest = CheckpointManifest.Parse(File.ReadAllText(manifestPath));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{manifestPath}: {e.Message}", e);
        }
        if (manifest.FormatVersion != 1)
            throw new InvalidDataException($"{manifestPath}: format version {manifest.FormatVersion} is not supported");
        foreach (var entry in manifest.Tables)
        {
            var path = Path.Combine(checkpoint, Path.GetFileName(entry.File));
            try
            {
                using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                using var stream = progress is null ? (Stream)file : new ProgressStream(file, progress);
                if (stream.Length != entry.Bytes)
                    throw new InvalidDataException($"{stream.Length} bytes, the manifest says {entry.Bytes} (truncated?)");
                var info = TableSnapshot.Verify(stream);
                stream.Position = stream.Length - TableSnapshot.ChecksumBytes;
                var checksum = new byte[TableSnapshot.ChecksumBytes];
                stream.ReadExactly(checksum);
                if (!string.Equals(Convert.ToHexStringLower(checksum), entry.Sha256, StringComparison.OrdinalIgnoreCase))
                    throw new InvalidDataException("checksum differs from the manifest's");
                if (info.Spec.Name != entry.Name)
                    throw new InvalidDataException($"holds table '{info.Spec.Name}', the manifest says '{entry.Name}'");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not InvalidDataException)
            {
                throw new InvalidDataException($"{path}: {e.Message}", e);
            }
            catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{path}: {e.Message}", e);
            }
        }
        return manifest;
    }

    /// <summary>
    /// Loads the newest checkpoint that verifies and loads completely, newest first; a corrupt or truncated
    /// one is logged (naming the file and the problem) and the previous one tried. Never a partial load:
    /// either every table of one checkpoint, or none. Null when there is no usable checkpoint.
    /// </summary>
    public RestoredCheckpoint? RestoreNewest(IComputeBackend backend)
    {
        foreach (var checkpoint in List(Directory).Reverse())
        {
            var tables = new List<Table>();
            // Each file is read three times: checked against the manifest, checked again as it is loaded, loaded.
            using var progress = _progress.Start($"restore of {Path.GetFileName(checkpoint)}", 3 * FileBytes(checkpoint), ProgressUnit.Bytes);
            try
            {
                var manifest = Verify(checkpoint, progress);
                foreach (var entry in manifest.Tables)
                {
                    var path = Path.Combine(checkpoint, Path.GetFileName(entry.File));
                    using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                    using var stream = new ProgressStream(file, progress);
                    try
                    {
                        tables.Add(Table.ReadSnapshot(stream, backend));
                    }
                    catch (InvalidDataException e)
                    {
                        throw new InvalidDataException($"{path}: {e.Message}", e);
                    }
                }
                _logger.LogInformation("restored checkpoint {Path} from {Created:u}: {Tables} tables", checkpoint, manifest.CreatedUtc, tables.Count);
                return new RestoredCheckpoint(checkpoint, manifest, tables);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or OutOfMemoryException)
            {
                foreach (var table in tables)
                    table.Dispose();
                _logger.LogError("checkpoint {Path} is unusable, trying the previous one: {Problem}", checkpoint, e.Message);
            }
        }
        return null;
    }

    private static long FileBytes(string checkpoint) =>
        System.IO.Directory.EnumerateFiles(checkpoint, "*.snap").Sum(path => new FileInfo(path).Length);
}

/// <summary>A checkpoint written.</summary>
/// <param name="Path">Its directory.</param>
/// <param name="CreatedUtc">When the tables were snapshotted.</param>
/// <param name="Pause">How long table locks were held (inserts and samples waited).</param>
/// <param name="Elapsed">The whole write, fsyncs and rename included.</param>
/// <param name="Bytes">Bytes of snapshot files.</param>
public sealed record CheckpointResult(string Path, DateTime CreatedUtc, TimeSpan Pause, TimeSpan Elapsed, long Bytes);

/// <summary>A checkpoint loaded at start.</summary>
/// <param name="Path">Its directory.</param>
/// <param name="Manifest">Its manifest.</param>
/// <param name="Tables">The tables, owned by the caller.</param>
public sealed record RestoredCheckpoint(string Path, CheckpointManifest Manifest, IReadOnlyList<Table> Tables);
