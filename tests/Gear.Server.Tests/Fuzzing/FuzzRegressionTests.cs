using System.Text;
using System.Text.RegularExpressions;
using Gear.Core.Compute.Cpu;
using Gear.Core.Schema;
using Gear.Core.Tables;
using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Checkpoints;
using Gear.Server.Service;
using Gear.Server.Tests.Configuration;
using Gear.Server.Tests.Grpc;
using Gear.Server.Tests.Limits;
using Gear.Server.Tests.Service;
using Gear.Server.WriteAheadLog;
using Microsoft.Extensions.Logging.Abstractions;
using DType = Gear.Core.Schema.DType;
using TableSpec = Gear.Core.Schema.TableSpec;

namespace Gear.Server.Tests.Fuzzing;

/// <summary>
/// The crashes the fuzz targets found, each as the smallest input that showed it: files the readers promised to
/// refuse with <see cref="InvalidDataException"/> that made them throw something else, and a stream that ended
/// without a gRPC status.
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
        using var directory = new TempDirectory();
        var segment = Path.Combine(directory.Path, "regression.wal");
        File.WriteAllBytes(segment, [.. LogSegmentFormat.Magic, 1, 0, 0, 0, .. spec]);
        Assert.ThrowsException<InvalidDataException>(() => LogSegmentReader.Open(segment).Dispose());
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
        using var temp = new TempDirectory();
        var directory = temp.Path;
        using var backend = new CpuBackend();
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

    /// <summary>
    /// An endless SampleStream whose deadline passed while the client's flow control held a flush back was reset
    /// with INTERNAL_ERROR and no status: cancelling Kestrel's flush aborts the stream. The client here reads
    /// nothing (its 64 KiB window fills), waits out the deadline, then opens its window: the trailers must say
    /// DEADLINE_EXCEEDED.
    /// </summary>
    [TestMethod]
    public async Task DeadlineDuringABlockedStreamWriteEndsWithDeadlineExceeded()
    {
        await using var server = await ServiceHarness.StartAsync();
        var client = server.Client();
        var table = await client.CreateTableAsync(KnownSteps.Spec(KnownSteps.NewName()));
        await client.InsertAsync(table, [1, 2, 3], 4);
        var request = new SampleStreamRequest { Sample = new SampleRequest { Table = table, BatchSize = 4, WindowLength = 255, Placement = WindowPlacement.Start } };
        var (connection, _) = await RawHttp2Connection.OpenAsync(server.Channel.Address);
        using (connection)
        {
            await connection.OpenStreamAsync(1, ReplayMethods.SampleStream.FullName, [("grpc-timeout", "300m")]);
            await connection.SendDataAsync(1, GrpcHttpLevelTests.Frame(request), endStream: true);
            await Task.Delay(TimeSpan.FromSeconds(1));
            await connection.SendWindowUpdateAsync(0, int.MaxValue >> 1);
            await connection.SendWindowUpdateAsync(1, int.MaxValue >> 1);

            var end = await connection.ReadUntilAsync(f => f.StreamId == 1 && (f.Type == RawHttp2Connection.FrameType.RstStream || (f.Flags & 1) == 1), TimeSpan.FromSeconds(10));

            Assert.IsNotNull(end, "the stream ends");
            Assert.AreEqual(RawHttp2Connection.FrameType.Headers, end.Type, $"trailers, not {end.Type}");
            // Kestrel writes new header names as plain literals: the status is findable as text.
            StringAssert.Contains(Encoding.ASCII.GetString(end.Payload), "grpc-status\u0001" + (int)StatusCode.DeadlineExceeded);
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
