using System.Buffers.Binary;
using Gear.Core.Compute.Cpu;
using Gear.Core.Schema;
using Gear.Core.Tables;
using Gear.Protocol;
using Gear.Protocol.DataPlane;
using Gear.Protocol.V1;
using Gear.Server.Tests.Configuration;
using Gear.Server.Tests.Service;
using Gear.Server.Tests.WriteAheadLog;
using Gear.Server.WriteAheadLog;
using Microsoft.Extensions.Logging.Abstractions;
using TableSpec = Gear.Core.Schema.TableSpec;

namespace Gear.Server.Tests.Fuzzing;

/// <summary>
/// Mutated write-ahead log segments replayed into a fresh table: replay applies records up to the first one
/// that fails its length or checksum and stops there cleanly, or refuses the segment with an
/// <see cref="InvalidDataException"/>; it never applies a record whose checksum fails, and the table it leaves
/// is consistent.
/// </summary>
[TestClass]
public sealed class WriteAheadLogFuzzTests
{
    private static CpuBackend _backend = null!;
    private static byte[] _segment = null!;
    private static TableSpec _spec = null!;
    private static int _headerBytes;
    private static TempDirectory _directory = null!;

    /// <summary>A segment as the server writes it: commits, a reset, more commits and a delete.</summary>
    [ClassInitialize]
    public static async Task WriteSeed(TestContext _)
    {
        _backend = new CpuBackend();
        _directory = new TempDirectory();
        using var durable = new DurableDirectory();
        await using (var server = await ServiceHarness.StartAsync(durable: durable))
        {
            var client = server.Client();
            var table = await client.CreateTableAsync(LoggedTable.Spec("fuzzed"));
            await client.InsertAsync(table, [1, 2, 3], LoggedTable.Length);
            await client.Unary(ReplayMethods.Reset, new ResetRequest { Table = table });
            var keys = await client.InsertAsync(table, [4, 5, 6, 7, 8], LoggedTable.Length, priority: 2);
            await client.Unary(ReplayMethods.Delete, new DeleteRequest { Table = table, Keys = { keys.Keys.Take(2) } });
        }
        var path = Directory.GetFiles(durable.LogSettings.Directory, "*.wal", SearchOption.AllDirectories).Single();
        _segment = await File.ReadAllBytesAsync(path);
        using var reader = LogSegmentReader.Open(path);
        _spec = reader.Spec;
        _headerBytes = LogSegmentFormat.Header(_spec).Length;
    }

    [ClassCleanup]
    public static void Release()
    {
        _backend.Dispose();
        _directory.Dispose();
    }

    /// <summary>
    /// Half the inputs mutate the file as it is; the other half mutate one record's payload and give it a
    /// matching checksum, so the decoding of commits and deletes is exercised too.
    /// </summary>
    [TestMethod]
    public void MutatedSegmentsReplayTheirVerifiedRecordsOrAreRefused()
    {
        var records = Records(_segment, _headerBytes);
        Assert.AreEqual(10, records.Count, "seed: 3 commits, a reset, 5 commits and a delete");
        var path = Path.Combine(_directory.Path, LogSegmentFormat.FileName(1));

        FuzzCampaign.Run("write-ahead log segments", FuzzBudget.For(defaultInputs: 1000, defaultSeed: 53), (mutator, i) =>
        {
            var bytes = i % 2 == 0 ? mutator.Mutate(_segment) : WithRechecksummedRecord(mutator, records);
            File.WriteAllBytes(path, bytes);
            using var table = new Table(_spec, _backend);
            try
            {
                var counts = LogReplay.Replay(table, [path], NullLogger.Instance).Counts;
                var applied = counts.Commits + counts.Deletes + counts.Resets + counts.Skipped;
                var verified = VerifiedRecordCount(path);
                if (applied > verified)
                    return $"replay applied {applied} records but only {verified} pass their checksum";
                return SeedTables.Violation(table);
            }
            catch (InvalidDataException)
            {
                return null;
            }
            catch (Exception e)
            {
                return FuzzCampaign.Describe(e);
            }
        });
    }

    /// <summary>The seed's header and records, with one record's payload mutated and its frame made to match again.</summary>
    private static byte[] WithRechecksummedRecord(Mutator mutator, IReadOnlyList<byte[]> records)
    {
        var target = mutator.Random.Next(records.Count);
        var output = new List<byte>(_segment.AsSpan(0, _headerBytes).ToArray());
        var frame = new byte[LogRecord.FrameBytes];
        for (var r = 0; r < records.Count; r++)
        {
            var payload = r == target ? mutator.Mutate(records[r]) : records[r];
            BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)payload.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], FrameChecksum.Compute(payload));
            output.AddRange(frame);
            output.AddRange(payload);
        }
        return [.. output];
    }

    /// <summary>How many records of the segment at <paramref name="path"/> verify before the first that does not (0 for a bad header).</summary>
    private static int VerifiedRecordCount(string path)
    {
        using var file = File.OpenRead(path);
        try
        {
            LogSegmentFormat.ReadHeader(file);
        }
        catch (InvalidDataException)
        {
            return 0;
        }
        var bytes = File.ReadAllBytes(path);
        return Records(bytes, (int)file.Position).Count;
    }

    /// <summary>
    /// The payloads of the records after <paramref name="headerBytes"/> that pass their length and checksum,
    /// up to the first that does not: an independent reading of the frame format LogSegmentReader implements.
    /// </summary>
    private static List<byte[]> Records(byte[] segment, int headerBytes)
    {
        var verified = new List<byte[]>();
        var at = headerBytes;
        while (segment.Length - at >= LogRecord.FrameBytes)
        {
            var length = BinaryPrimitives.ReadUInt32LittleEndian(segment.AsSpan(at));
            var checksum = BinaryPrimitives.ReadUInt32LittleEndian(segment.AsSpan(at + 4));
            if (length < LogRecord.PayloadHeaderBytes || length > segment.Length - at - LogRecord.FrameBytes)
                break;
            var payload = segment.AsSpan(at + LogRecord.FrameBytes, (int)length);
            if (FrameChecksum.Compute(payload) != checksum)
                break;
            verified.Add(payload.ToArray());
            at += LogRecord.FrameBytes + (int)length;
        }
        return verified;
    }
}
