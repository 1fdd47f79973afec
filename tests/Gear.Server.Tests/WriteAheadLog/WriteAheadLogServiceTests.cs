using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Tests.Service;
using Gear.Server.WriteAheadLog;

namespace Gear.Server.Tests.WriteAheadLog;

/// <summary>
/// The write-ahead log through the service: what was acknowledged comes back after a restart from the log
/// (with and without a checkpoint under it), deletes and resets included, and nothing is applied twice.
/// </summary>
[TestClass]
public sealed class WriteAheadLogServiceTests
{
    [TestMethod]
    public async Task AcknowledgedCommitsComeBackFromTheLogAlone()
    {
        using var durable = new DurableDirectory();
        var name = KnownSteps.NewName();
        await using (var first = await ServiceHarness.StartAsync(durable: durable))
        {
            var client = first.Client();
            var created = await client.Unary(ReplayMethods.CreateTable, new CreateTableRequest { Spec = LoggedTable.Spec(name) });
            Assert.IsTrue(created.Table.Spec.WriteAheadLog, "the table reports that it is logged");
            await client.InsertAsync(name, [1, 2, 3, 4, 5], LoggedTable.Length);
        }

        await using var second = await ServiceHarness.StartAsync(durable: durable);
        var restarted = second.Client();
        var info = await restarted.InfoAsync(name);
        Assert.IsTrue(info.Spec.WriteAheadLog, "the table came back from its log's spec, still logged");
        CollectionAssert.AreEquivalent(new ulong[] { 1, 2, 3, 4, 5 }, await LoggedTable.ReadAllAsync(restarted, name));
    }

    /// <summary>
    /// A server killed while it created a segment (after a checkpoint's rotation) leaves one that ends inside its
    /// header. It holds no records: recovery removes it, replays the rest, and the log goes on in a new segment.
    /// </summary>
    [TestMethod]
    public async Task ASegmentTornWhileItWasCreatedIsRemovedAndTheRestReplayed()
    {
        using var durable = new DurableDirectory();
        var name = KnownSteps.NewName();
        var logs = new WriteAheadLogs(durable.LogSettings, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        await using (var first = await ServiceHarness.StartAsync(durable: durable))
        {
            var client = first.Client();
            await client.CreateTableAsync(LoggedTable.Spec(name));
            await client.InsertAsync(name, [1, 2, 3], LoggedTable.Length);
        }
        var directory = logs.DirectoryOf(name);
        var newest = Directory.GetFiles(directory).Max(path => LogSegmentFormat.NumberOf(Path.GetFileName(path)))!.Value;
        var torn = Path.Combine(directory, LogSegmentFormat.FileName(newest + 1));
        await File.WriteAllBytesAsync(torn, LogSegmentFormat.Magic[..5].ToArray());

        await using (var second = await ServiceHarness.StartAsync(durable: durable))
        {
            var client = second.Client();
            CollectionAssert.AreEquivalent(new ulong[] { 1, 2, 3 }, await LoggedTable.ReadAllAsync(client, name));
            Assert.IsTrue((await client.InfoAsync(name)).Spec.WriteAheadLog, "the table is still logged");
            await client.InsertAsync(name, [4], LoggedTable.Length);
        }
        Assert.IsTrue(!File.Exists(torn) || !LogSegmentReader.EndsInsideHeader(torn), "the torn segment was removed or written anew");

        await using var third = await ServiceHarness.StartAsync(durable: durable);
        CollectionAssert.AreEquivalent(new ulong[] { 1, 2, 3, 4 }, await LoggedTable.ReadAllAsync(third.Client(), name),
            "what was committed after the recovery was logged too");
    }

    [TestMethod]
    public async Task ReplayOverACheckpointAppliesOnlyWhatFollowsIt()
    {
        var present = await ReadAfterRestartAsync(async (client, name) =>
        {
            var before = await client.InsertAsync(name, [1, 2, 3], LoggedTable.Length);
            await client.Unary(ReplayMethods.Checkpoint, new CheckpointRequest());
            var after = await client.InsertAsync(name, [4, 5], LoggedTable.Length);
            // One key from before the checkpoint, one committed after it: the second is remapped at replay.
            var deleted = await client.Unary(ReplayMethods.Delete, new DeleteRequest
            {
                Table = name, Keys = { before.Single(p => p.Value == 2).Key, after.Single(p => p.Value == 5).Key },
            });
            Assert.AreEqual(2, deleted.Applied);
        });
        CollectionAssert.AreEquivalent(new ulong[] { 1, 3, 4 }, present,
            "the checkpoint's 1-3, the logged 4 and 5, less the two logged deletes; nothing twice");
    }

    [TestMethod]
    public async Task ResetsReplayInOrderAndOnlyOnce()
    {
        var present = await ReadAfterRestartAsync(async (client, name) =>
        {
            await client.InsertAsync(name, [1, 2], LoggedTable.Length);
            await client.Unary(ReplayMethods.Reset, new ResetRequest { Table = name });
            await client.InsertAsync(name, [3, 4], LoggedTable.Length);
            await client.Unary(ReplayMethods.Checkpoint, new CheckpointRequest());
            await client.InsertAsync(name, [5], LoggedTable.Length);
            await client.Unary(ReplayMethods.Reset, new ResetRequest { Table = name });
            await client.InsertAsync(name, [6, 7], LoggedTable.Length);
        });
        CollectionAssert.AreEquivalent(new ulong[] { 6, 7 }, present,
            "the reset before the checkpoint is not applied again over it; the one after it removes 3-5");
    }

    [TestMethod]
    public async Task CheckpointsPruneTheSegmentsEveryKeptCheckpointHolds()
    {
        using var durable = new DurableDirectory();
        var name = KnownSteps.NewName();
        await using var harness = await ServiceHarness.StartAsync(durable: durable);
        var client = harness.Client();
        await client.CreateTableAsync(LoggedTable.Spec(name));
        var directory = harness.Tables.Logs!.DirectoryOf(name);
        for (var round = 0; round < 5; round++)
        {
            await client.InsertAsync(name, [(ulong)(10 + round)], LoggedTable.Length);
            await client.Unary(ReplayMethods.Checkpoint, new CheckpointRequest());
        }
        // Two checkpoints are kept; the oldest kept one holds everything up to round 3's insert, so only the
        // segments written since it can be needed: the one it ended and the current one.
        var segments = Directory.GetFiles(directory, "seg-*.wal");
        Assert.AreEqual(2, segments.Length, string.Join(", ", segments.Select(Path.GetFileName)));
    }

    [TestMethod]
    public async Task DroppingATableDeletesItsLog()
    {
        using var durable = new DurableDirectory();
        var name = KnownSteps.NewName();
        await using var harness = await ServiceHarness.StartAsync(durable: durable);
        var client = harness.Client();
        await client.CreateTableAsync(LoggedTable.Spec(name));
        var directory = harness.Tables.Logs!.DirectoryOf(name);
        Assert.IsTrue(Directory.Exists(directory));
        await client.Unary(ReplayMethods.DropTable, new DropTableRequest { Table = name });
        Assert.IsFalse(Directory.Exists(directory), "a dropped table's log is not replayed into a new table of that name");
    }

    [TestMethod]
    public async Task ALoggedTableNeedsALogDirectory()
    {
        await using var harness = await ServiceHarness.StartAsync();
        var error = await Assert.ThrowsExceptionAsync<RpcException>(() =>
            harness.Client().Unary(ReplayMethods.CreateTable, new CreateTableRequest { Spec = LoggedTable.Spec(KnownSteps.NewName()) }));
        Assert.AreEqual(StatusCode.FailedPrecondition, error.StatusCode);
        StringAssert.Contains(error.Status.Detail, "writeAheadLog.directory");
    }

    [TestMethod]
    public async Task ConcurrentCommitsShareFsyncs()
    {
        using var durable = new DurableDirectory(FsyncPolicy.Commit);
        var name = KnownSteps.NewName();
        await using var harness = await ServiceHarness.StartAsync(durable: durable);
        var client = harness.Client();
        await client.CreateTableAsync(LoggedTable.Spec(name));
        const int Actors = 16;
        const int PerActor = 8;
        await Task.WhenAll(Enumerable.Range(0, Actors).Select(a =>
            client.InsertAsync(name, Enumerable.Range(0, PerActor).Select(i => (ulong)(a * 100 + i)), LoggedTable.Length)));
        using var lease = harness.Tables.Lease(name);
        var log = lease.Served.Log!;
        Assert.AreEqual(Actors * PerActor, log.RecordsWritten);
        Assert.IsTrue(log.Fsyncs < log.RecordsWritten, $"group commit: {log.Fsyncs} fsyncs for {log.RecordsWritten} records");
    }

    /// <summary>
    /// Runs <paramref name="beforeRestart"/> against a server with a new logged table, closes that server (its
    /// checkpoints and logs stay), starts another over the same directories and reads every item back.
    /// </summary>
    private static async Task<List<ulong>> ReadAfterRestartAsync(Func<ReplayClient, string, Task> beforeRestart)
    {
        using var durable = new DurableDirectory();
        var name = KnownSteps.NewName();
        await using (var first = await ServiceHarness.StartAsync(durable: durable))
        {
            var client = first.Client();
            await client.CreateTableAsync(LoggedTable.Spec(name));
            await beforeRestart(client, name);
        }
        await using var second = await ServiceHarness.StartAsync(durable: durable);
        return await LoggedTable.ReadAllAsync(second.Client(), name);
    }
}
