using System.Text;
using System.Text.RegularExpressions;
using Gear.Core.Compute.Cpu;
using Gear.Core.Schema;
using Gear.Core.Tables;
using Gear.Server.Checkpoints;
using Gear.Server.Service;
using Gear.Server.Tests.Service;
using Gear.Server.WriteAheadLog;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gear.Server.Tests.Fuzzing;

/// <summary>
/// The crashes the fuzz targets found, each as the smallest input that showed it: a file the readers promised
/// to refuse with <see cref="InvalidDataException"/> made them throw something else.
/// </summary>
[TestClass]
public sealed class FuzzRegressionTests
{
    private static readonly TableSpec Valid = TableSpecMapping.ToCore(KnownSteps.Spec("regression"));

    /// <summary>A string length whose 7-bit encoding never ends threw FormatException from BinaryReader.</summary>
    [TestMethod]
    public void SnapshotWithAMalformedStringLengthIsInvalidData()
    {
        byte[] header = [.. TableSnapshot.Magic, 2, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

        AssertRefused(CheckpointFileFuzzTests.Rehashed(header));
    }

    /// <summary>A column the ColumnSpec constructor refuses (an empty name) threw GearException, from snapshots and log segments alike.</summary>
    [TestMethod]
    public void SpecWithAnEmptyColumnNameIsInvalidDataInSnapshotsAndLogs()
    {
        var spec = Written(w =>
        {
            w.Write("t");
            w.Write(1); // one column
            w.Write(""); // named ""
            w.Write((int)DType.F32);
            w.Write(0); // rank 0
        });

        AssertRefused(CheckpointFileFuzzTests.Rehashed([.. TableSnapshot.Magic, 2, 0, 0, 0, .. spec]));
        var segment = Path.Combine(Path.GetTempPath(), "gear-regression-" + Guid.NewGuid().ToString("N") + ".wal");
        try
        {
            File.WriteAllBytes(segment, [.. LogSegmentFormat.Magic, 1, 0, 0, 0, .. spec]);
            Assert.ThrowsException<InvalidDataException>(() => LogSegmentReader.Open(segment).Dispose());
        }
        finally
        {
            File.Delete(segment);
        }
    }

    /// <summary>A negative count of closed trajectories sized an array and threw OverflowException.</summary>
    [TestMethod]
    [DataRow(0, -1)]
    [DataRow(int.MaxValue, 0)]
    [DataRow(-5, 0)]
    public void SnapshotCountsBeyondTheTablesCapacityAreInvalidData(int items, int closedTrajectories) =>
        AssertRefused(Snapshot(Valid, items, closedTrajectories), "do not fit");

    /// <summary>A capacity no process can allocate threw OutOfMemoryException from the table constructor.</summary>
    [TestMethod]
    public void SnapshotOfATableTooLargeToAllocateIsInvalidData()
    {
        var pageBytes = (long)Valid.Columns.Sum(c => c.StepBytes) * Valid.PageSteps;

        AssertRefused(Snapshot(new TableSpec
        {
            Name = Valid.Name, Columns = Valid.Columns, MaxTrajectories = Valid.MaxTrajectories, RateLimiter = Valid.RateLimiter,
            HostCapacityBytes = pageBytes * int.MaxValue,
        }, 0, 0), "more memory than can be allocated");
    }

    /// <summary>A manifest entry whose file is JSON null threw ArgumentNullException out of RestoreNewest.</summary>
    [TestMethod]
    public async Task ManifestWithANullFileIsSkippedNotThrown()
    {
        var directory = Path.Combine(Path.GetTempPath(), "gear-regression-" + Guid.NewGuid().ToString("N"));
        using var backend = new CpuBackend();
        try
        {
            var store = new CheckpointStore(directory, keep: 1, NullLogger.Instance);
            using (var table = new Table(Valid, backend))
                await store.WriteAsync([table]);
            var manifest = Path.Combine(CheckpointStore.List(directory).Single(), CheckpointManifest.FileName);
            var json = File.ReadAllText(manifest);
            File.WriteAllText(manifest, Regex.Replace(json, "\"file\": \"[^\"]*\"", "\"file\": null"));

            Assert.AreNotEqual(json, File.ReadAllText(manifest), "test setup: the file entry was nulled");
            Assert.ThrowsException<InvalidDataException>(() => CheckpointStore.Verify(Path.GetDirectoryName(manifest)!));
            Assert.IsNull(store.RestoreNewest(backend), "the only checkpoint is unusable");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void AssertRefused(byte[] snapshot, string because = "")
    {
        using var backend = new CpuBackend();
        var error = Assert.ThrowsException<InvalidDataException>(() => Table.ReadSnapshot(new MemoryStream(snapshot), backend).Dispose());
        StringAssert.Contains(error.Message, because);
    }

    /// <summary>A snapshot of just a header (spec and counts) and its checksum: enough to reach every check on the header.</summary>
    private static byte[] Snapshot(TableSpec spec, int items, int closedTrajectories)
    {
        var body = Written(w => TableSpecCodec.Write(w, spec));
        using var header = new MemoryStream();
        using (var w = new BinaryWriter(header, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(TableSnapshot.Magic);
            w.Write(TableSnapshot.Version);
            w.Write(body);
            w.Write(items);
            w.Write(closedTrajectories);
            w.Write(0L); // steps
            w.Write(0L); // step bytes
            w.Write(0L); // log sequence
        }
        return CheckpointFileFuzzTests.Rehashed(header.ToArray());
    }

    private static byte[] Written(Action<BinaryWriter> write)
    {
        using var memory = new MemoryStream();
        using (var w = new BinaryWriter(memory, Encoding.UTF8, leaveOpen: true))
            write(w);
        return memory.ToArray();
    }
}
