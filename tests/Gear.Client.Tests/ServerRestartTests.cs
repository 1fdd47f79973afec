using System.Collections.Concurrent;
using Gear.Protocol.Grpc;
using Gear.Protocol.V1;
using Gear.Tests.Shared;
using Google.Protobuf;

namespace Gear.Client.Tests;

/// <summary>
/// A server restarted under load (SIGKILL, then <c>gear serve</c> again on the same address with its
/// write-ahead log): the learner's BatchStream carries on by itself, the actor's writer fails with UNAVAILABLE
/// and the actor opens a new one, and every trajectory acknowledged before or after the crash is in the table.
/// </summary>
[TestClass]
public sealed class ServerRestartTests
{
    private const string Table = "restart";

    [TestMethod]
    [Timeout(120_000)]
    public async Task ClientsCarryOnAcrossARestartAndNothingAcknowledgedIsLost()
    {
        var root = Directory.CreateTempSubdirectory("gear-restart-").FullName;
        var config = Path.Combine(root, "gear.json");
        var spec = TableFill.ValueTable(Table, Selector.UniformWithoutReplacement);
        spec.MaxTrajectories = 20_000;
        spec.HostCapacityBytes = 64 << 20;
        spec.WriteAheadLog = true;
        await File.WriteAllTextAsync(config, $$"""
            { "writeAheadLog": { "directory": "wal" }, "tables": [ {{JsonFormatter.Default.Format(spec)}} ] }
            """);
        // The restart must get its old port back: one outside the range the system hands out for port 0, so that
        // no server of the tests running beside this one (they all listen on port 0) can take it in between.
        var port = PortOutsideTheEphemeralRange();
        var gear = await StartAsync(config, port);
        try
        {
            var address = gear.GrpcAddress;
            // Retries that outlast a restart (a second or two here, much more on a loaded machine): up to 240
            // attempts, waits capped at 250 ms, about a minute in all.
            var patient = new RetryPolicy { MaxAttempts = 240, MaxBackoff = TimeSpan.FromMilliseconds(250) };
            using var client = new GearClient(new GearClientOptions { Endpoints = [address], Retry = patient });
            var acknowledged = new ConcurrentDictionary<int, bool>();
            using var stop = new CancellationTokenSource();
            var writerFailures = 0;
            var actor = Task.Run(async () =>
            {
                var next = 0;
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await using var writer = await client.OpenWriterAsync(Table);
                        while (!stop.IsCancellationRequested)
                        {
                            var value = ++next;
                            var trajectory = await writer.BeginTrajectoryAsync();
                            await trajectory.Append("value", value).CommitStepsAsync();
                            await trajectory.EndAsync(1);
                            acknowledged[value] = true;
                        }
                    }
                    catch (TrajectoryWriteException e) when (e.StatusCode == StatusCode.Unavailable)
                    {
                        Interlocked.Increment(ref writerFailures); // the policy: open a new writer and go on
                    }
                    catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
                    {
                        // Opening the new writer outlasted the client's retries: try again.
                    }
                }
            });
            long batches = 0;
            var learner = Task.Run(async () =>
            {
                await using var stream = await client.OpenBatchStreamAsync(new SampleOptions(Table) { BatchSize = 16 });
                await foreach (var batch in stream.WithCancellation(stop.Token))
                {
                    batch.Dispose();
                    Interlocked.Increment(ref batches);
                }
            });

            await WaitForAsync(() => acknowledged.Count >= 200 && Interlocked.Read(ref batches) >= 20, () => "load before the crash");
            gear.Kill();
            await gear.WaitForExitAsync(TimeSpan.FromSeconds(30));
            gear.Dispose();
            var beforeRestart = (Acknowledged: acknowledged.Count, Batches: Interlocked.Read(ref batches));
            gear = await StartAsync(config, port);

            await WaitForAsync(() => acknowledged.Count >= beforeRestart.Acknowledged + 200
                && Interlocked.Read(ref batches) >= beforeRestart.Batches + 20,
                () => $"load after the restart (before: {beforeRestart}; now {acknowledged.Count} acknowledged, {Interlocked.Read(ref batches)} batches; learner {learner.Status} {learner.Exception?.InnerException?.Message}, actor {actor.Status} {actor.Exception?.InnerException?.Message}, {writerFailures} writer failures)");
            await stop.CancelAsync();
            await actor;
            await learner.ContinueWith(_ => { }, TaskScheduler.Default); // ends by cancellation
            Assert.IsTrue(writerFailures >= 1, "the writer met the crash and was replaced");

            // Every acknowledged value is in the table. The without-replacement sampler gives each item once per
            // epoch; the learner left an epoch part-used, so 2N windows finish it and cover one whole epoch more.
            var items = (await client.GetTableAsync(Table)).ItemCount;
            using var all = await client.SampleAsync(new SampleOptions(Table) { BatchSize = 2 * (int)items });
            var present = all.Column<int>("value").ToArray().ToHashSet();
            var lost = acknowledged.Keys.Where(v => !present.Contains(v)).ToArray();
            Assert.AreEqual(0, lost.Length, $"acknowledged but lost: {string.Join(", ", lost.Take(10))}");
        }
        finally
        {
            gear.Dispose();
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<GearProcess> StartAsync(string config, int port)
    {
        var gear = GearProcess.StartServe(["--config", config, "--grpc", $"127.0.0.1:{port}", "--admin", "127.0.0.1:0", "--data-plane", "127.0.0.1:0"]);
        await gear.WaitForLineAsync(line => line.Contains("ready: serving"), TimeSpan.FromSeconds(30));
        return gear;
    }

    /// <summary>A free loopback port below the system's ephemeral range (where port 0 never lands).</summary>
    private static int PortOutsideTheEphemeralRange()
    {
        var lowestEphemeral = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0]);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(10_000, Math.Max(10_001, lowestEphemeral));
            try
            {
                using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // Taken: try another.
            }
        }
        throw new InvalidOperationException($"no free loopback port between 10000 and {lowestEphemeral}");
    }

    private static async Task WaitForAsync(Func<bool> condition, Func<string> what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"{what()}: not reached within 45 s");
            await Task.Delay(20);
        }
    }
}
