using Gear.Core.Schema;
using Gear.Server.WriteAheadLog;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gear.Server.Tests.WriteAheadLog;

/// <summary>
/// Segments on disk: records read back as written, and a segment cut anywhere (a write torn by a crash) or
/// with a flipped byte yields exactly the whole records before the damage, never a partial one.
/// </summary>
[TestClass]
public sealed class LogSegmentTests
{
    private static readonly TableSpec Spec = new()
    {
        Name = "logged",
        Columns = [new ColumnSpec("obs", DType.F32, 3), new ColumnSpec("action", DType.I32)],
        HostCapacityBytes = 1 << 20,
        MaxTrajectories = 64,
    };

    [TestMethod]
    public async Task RecordsReadBackAsWritten()
    {
        var directory = NewDirectory();
        try
        {
            var written = await WriteRecordsAsync(directory, 5);
            using var reader = LogSegmentReader.Open(SegmentPath(directory));
            Assert.AreEqual(Spec.Name, reader.Spec.Name);
            CollectionAssert.AreEqual(Spec.Columns.Select(c => c.StepBytes).ToArray(), reader.Spec.Columns.Select(c => c.StepBytes).ToArray());
            var read = ReadAll(reader);
            Assert.IsNull(reader.StopReason);
            Assert.AreEqual(written.Count + 1, read.Count, "the commits and the delete");
            for (var i = 0; i < written.Count; i++)
                AssertSameCommit(written[i], read[i]);
            var (kind, sequence) = LogSegmentFormat.ReadPayloadHeader(read[^1].Payload);
            Assert.AreEqual(LogRecordKind.Delete, kind);
            Assert.AreEqual(written.Count + 1, sequence);
            CollectionAssert.AreEqual(new ulong[] { 100, 101 }, LogSegmentFormat.ReadDelete(read[^1].Payload));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public async Task ASegmentCutAnywhereYieldsOnlyWholeRecords()
    {
        var directory = NewDirectory();
        try
        {
            await WriteRecordsAsync(directory, 4);
            var path = SegmentPath(directory);
            var whole = await File.ReadAllBytesAsync(path);
            var boundaries = RecordBoundaries(path);
            var headerEnd = boundaries[0];
            var torn = Path.Combine(directory, "torn.wal");
            for (var cut = headerEnd; cut <= whole.Length; cut++)
            {
                await File.WriteAllBytesAsync(torn, whole.AsSpan(0, cut).ToArray());
                using var reader = LogSegmentReader.Open(torn);
                var read = ReadAll(reader);
                var wholeRecords = boundaries.Count(end => end <= cut) - 1;
                Assert.AreEqual(wholeRecords, read.Count, $"cut at byte {cut}");
                Assert.AreEqual(boundaries.Contains(cut), reader.StopReason is null, $"cut at byte {cut}: a partial record is reported");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public async Task AFlippedByteStopsReadingAtItsRecord()
    {
        var directory = NewDirectory();
        try
        {
            await WriteRecordsAsync(directory, 4);
            var path = SegmentPath(directory);
            var boundaries = RecordBoundaries(path);
            var bytes = await File.ReadAllBytesAsync(path);
            bytes[boundaries[2] + 20] ^= 0x08; // inside the third record's payload
            await File.WriteAllBytesAsync(path, bytes);
            using var reader = LogSegmentReader.Open(path);
            Assert.AreEqual(2, ReadAll(reader).Count);
            StringAssert.Contains(reader.StopReason, "checksum mismatch");
            StringAssert.Contains(reader.StopReason, $"byte {boundaries[2]}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public async Task OnlyAFileThatEndsInsideItsHeaderIsATornCreation()
    {
        var directory = NewDirectory();
        try
        {
            await WriteRecordsAsync(directory, 1);
            var path = SegmentPath(directory);
            var whole = await File.ReadAllBytesAsync(path);
            var headerEnd = RecordBoundaries(path)[0];
            var cut = Path.Combine(directory, "cut.wal");
            for (var length = 0; length < headerEnd; length++)
            {
                await File.WriteAllBytesAsync(cut, whole.AsSpan(0, length).ToArray());
                Assert.IsTrue(LogSegmentReader.EndsInsideHeader(cut), $"cut at byte {length}");
            }
            Assert.IsFalse(LogSegmentReader.EndsInsideHeader(path), "a whole segment");
            whole[0] ^= 0xff;
            await File.WriteAllBytesAsync(cut, whole);
            Assert.IsFalse(LogSegmentReader.EndsInsideHeader(cut), "a whole header that is wrong is corruption, not a torn creation");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void NotASegmentIsRefusedWithItsName()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "definitely not a log");
            var error = Assert.ThrowsException<InvalidDataException>(() => LogSegmentReader.Open(path));
            StringAssert.Contains(error.Message, path);
            StringAssert.Contains(error.Message, "bad magic");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void SegmentNamesSortByNumber()
    {
        Assert.AreEqual("seg-00000042.wal", LogSegmentFormat.FileName(42));
        Assert.AreEqual(42, LogSegmentFormat.NumberOf("seg-00000042.wal"));
        Assert.IsNull(LogSegmentFormat.NumberOf("seg-42.wal"));
        Assert.IsNull(LogSegmentFormat.NumberOf("torn.wal"));
    }

    private static string NewDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "gear-wal-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    private static string SegmentPath(string directory) => Path.Combine(directory, "log", LogSegmentFormat.FileName(1));

    /// <summary>Writes <paramref name="commits"/> commit records of known steps and one delete; returns the commits' contents.</summary>
    private static async Task<List<(int Steps, double Priority, byte[] Data)>> WriteRecordsAsync(string directory, int commits)
    {
        var settings = new WriteAheadLogSettings(directory, FsyncPolicy.Commit, TimeSpan.FromMilliseconds(50));
        var written = new List<(int, double, byte[])>();
        await using var log = TableLog.Open(Path.Combine(directory, "log"), Spec, settings, new Dictionary<int, long>(), NullLogger.Instance);
        var random = new Random(5);
        for (var i = 0; i < commits; i++)
        {
            var steps = 1 + i;
            var record = LogRecord.Commit((ulong)(100 + i), steps, [0.5 + i], 16L * steps);
            random.NextBytes(record.StepData);
            written.Add((steps, 0.5 + i, record.StepData.ToArray()));
            await log.AppendAsync(record.Seal(i + 1));
        }
        await log.AppendAsync(LogRecord.Delete(commits + 1, [100, 101]));
        return written;
    }

    private static List<(long Offset, byte[] Payload)> ReadAll(LogSegmentReader reader)
    {
        var records = new List<(long, byte[])>();
        while (reader.TryReadNext(out var offset, out var payload))
            records.Add((offset, payload.ToArray()));
        return records;
    }

    /// <summary>Where each record starts (the first where the header ends), then the file's end.</summary>
    private static List<int> RecordBoundaries(string path)
    {
        using var reader = LogSegmentReader.Open(path);
        var boundaries = new List<int>();
        while (reader.TryReadNext(out var offset, out _))
            boundaries.Add((int)offset);
        boundaries.Add((int)new FileInfo(path).Length);
        return boundaries;
    }

    private static void AssertSameCommit((int Steps, double Priority, byte[] Data) expected, (long Offset, byte[] Payload) actual)
    {
        var commit = LogSegmentFormat.ReadCommit(actual.Payload, Spec);
        Assert.AreEqual(expected.Steps, commit.StepCount);
        CollectionAssert.AreEqual(new[] { expected.Priority }, commit.Priorities);
        CollectionAssert.AreEqual(expected.Data, commit.Columns.SelectMany(c => c.ToArray()).ToArray());
    }
}
