using System.Collections.Concurrent;
using Gear.Protocol;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Server.Tests.Service;
using Gear.Tests.Shared;
using Google.Protobuf;

namespace Gear.Server.Tests.WriteAheadLog;

/// <summary>
/// The crash test: <c>gear serve</c> as a process with the write-ahead log on and periodic checkpoints, actors
/// streaming trajectories into it, SIGKILL in the middle of their streams, a restart on the same directories,
/// and then every acknowledged trajectory is there, byte-equal, once; nothing half-written is visible.
/// </summary>
[TestClass]
public sealed class CrashRecoveryProcessTests
{
    private const string Table = "crash";
    private const int Actors = 4;
    private const int TrajectoriesPerActor = 2000;

    [TestMethod]
    [Timeout(120_000)]
    public async Task EveryAcknowledgedTrajectorySurvivesSigkill()
    {
        var root = Path.Combine(Path.GetTempPath(), "gear-crash-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var config = Path.Combine(root, "gear.json");
        var spec = LoggedTable.Spec(Table);
        spec.MaxTrajectories = Actors * TrajectoriesPerActor;
        spec.HostCapacityBytes = 8 << 20; // a page per trajectory sent: nothing is evicted
        await File.WriteAllTextAsync(config, $$"""
            {
              "checkpoints": { "directory": "checkpoints", "intervalSeconds": 0.3, "keep": 2 },
              "writeAheadLog": { "directory": "wal", "fsync": "commit" },
              "tables": [ {{JsonFormatter.Default.Format(spec)}} ]
            }
            """);
        try
        {
            var sent = new ConcurrentDictionary<ulong, bool>();
            var acknowledged = new ConcurrentDictionary<ulong, bool>();
            int unfinished;
            using (var gear = await GearProcess.StartReadyAsync("--config", config))
            {
                using var channel = GrpcChannel.ForAddress(gear.GrpcAddress);
                var client = new ReplayClient(channel);
                var actors = Enumerable.Range(0, Actors).Select(a => ActAsync(client, a, sent, acknowledged)).ToArray();
                // Kill after a periodic checkpoint and a good number of acknowledgements since, while every actor
                // is still streaming: replay then has records on both sides of the checkpoint.
                await gear.WaitForLineAsync(line => line.Contains("checkpoint " + Path.Combine(root, "checkpoints")), TimeSpan.FromSeconds(30));
                var target = acknowledged.Count + 300;
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
                while (acknowledged.Count < target && DateTime.UtcNow < deadline && actors.All(a => !a.IsCompleted))
                    await Task.Delay(5);
                gear.Kill();
                unfinished = actors.Count(a => !a.IsCompleted);
                await gear.WaitForExitAsync(TimeSpan.FromSeconds(30));
                await Task.WhenAll(actors);
            }
            Assert.IsTrue(acknowledged.Count >= 300, $"only {acknowledged.Count} trajectories were acknowledged before the kill");
            Assert.IsTrue(unfinished > 0, "the kill came while actors were streaming");

            using (var gear = await GearProcess.StartReadyAsync("--config", config))
            {
                StringAssert.Contains(gear.Stdout, "restored checkpoint");
                StringAssert.Matches(gear.Stdout, new System.Text.RegularExpressions.Regex(@"write-ahead log of table crash: replayed [1-9]\d* commits"),
                    "commits after the checkpoint came from the log");
                using var channel = GrpcChannel.ForAddress(gear.GrpcAddress);
                var present = await LoggedTable.ReadAllAsync(new ReplayClient(channel), Table); // each window checked byte for byte
                Assert.AreEqual(present.Count, present.Distinct().Count(), "no trajectory twice");
                var missing = acknowledged.Keys.Except(present).ToArray();
                Assert.AreEqual(0, missing.Length, $"acknowledged but lost: {string.Join(", ", missing.Take(10))}");
                var unsent = present.Except(sent.Keys).ToArray();
                Assert.AreEqual(0, unsent.Length, "only trajectories an actor sent");
                gear.Terminate();
                Assert.AreEqual(0, await gear.WaitForExitAsync(TimeSpan.FromSeconds(30)), gear.Stderr);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>One actor: appends and ends trajectories as fast as it can, noting what it sent and what was acknowledged, until the stream breaks.</summary>
    private static async Task ActAsync(ReplayClient client, int actor, ConcurrentDictionary<ulong, bool> sent, ConcurrentDictionary<ulong, bool> acknowledged)
    {
        try
        {
            using var call = client.Channel.DuplexStreaming(ReplayMethods.InsertStream, client.Options());
            var acks = Task.Run(async () =>
            {
                while (await call.ResponseStream.MoveNext())
                    acknowledged[call.ResponseStream.Current.Committed.Trajectory] = true;
            });
            for (var n = 0; n < TrajectoriesPerActor; n++)
            {
                var trajectory = (ulong)(actor * 10_000 + n + 1);
                sent[trajectory] = true;
                await call.RequestStream.WriteAsync(KnownSteps.Append(Table, trajectory, LoggedTable.Length));
                await call.RequestStream.WriteAsync(new InsertRequest { End = new EndTrajectory { Trajectory = trajectory, Priority = 1 } });
            }
            await call.RequestStream.CompleteAsync();
            await acks;
        }
        catch (Exception e) when (e is RpcException or IOException or HttpRequestException or OperationCanceledException or ObjectDisposedException)
        {
            // The server was killed under the stream.
        }
    }
}
