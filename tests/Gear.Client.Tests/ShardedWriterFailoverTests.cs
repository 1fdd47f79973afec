using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Client.Tests;

/// <summary>
/// A writer of several shards when one of them goes down under it: trajectories are resent whole to the
/// others where the writer kept their messages, fail alone where it did not, and the writer fails only when no
/// shard is left.
/// </summary>
[TestClass]
public sealed class ShardedWriterFailoverTests
{
    private const ulong Salt = 12345;

    /// <summary>
    /// Trajectories each test routes to shard 2, the one that goes down, at least. Routing hashes the servers'
    /// addresses, whose ports differ from run to run, so a fixed number of trajectories would put a varying number
    /// there (30 put 4 or fewer in about one run in thirty).
    /// </summary>
    private const int OnShard2 = 6;

    /// <summary>
    /// Trajectories a test opens at most while it waits for <see cref="OnShard2"/> of them on shard 2: below the
    /// writer's 64 in flight, where opening one more would wait for an acknowledgement.
    /// </summary>
    private const int MostTrajectories = 60;

    [TestMethod]
    public async Task TrajectoriesOnAShardThatGoesDownAreResentWholeToTheOthers()
    {
        await using var servers = await ServerSet.StartAsync(3);
        using var client = await ClientWithTableAsync(servers);
        await using var writer = await client.OpenWriterAsync("t", new TrajectoryWriterOptions { RoutingSalt = Salt });
        var trajectories = await BeginWithSentStepsAsync(writer);
        var onDeadShard = trajectories.Where(t => t.Shard == 2).Select(t => t.Id).ToHashSet();

        await servers.StopAsync(2);
        var ends = new List<Task<CommittedTrajectory>>();
        foreach (var trajectory in trajectories)
        {
            await AppendAsync(trajectory, 3, 4);
            ends.Add(trajectory.EndAsync(1));
        }
        var committed = await Task.WhenAll(ends);

        Assert.IsTrue(committed.All(c => c.Shard is 0 or 1), "every trajectory acknowledged by a live shard");
        Assert.IsTrue(committed.All(c => c.Steps == 4), "each with all four steps, the two sent before the failure included");
        Assert.IsTrue(committed.Where(c => onDeadShard.Contains(c.TrajectoryId)).All(c => c.Shard != 2));
        var held = 0L;
        for (var s = 0; s < 2; s++)
        {
            using var single = new GearClient(servers[s].Address);
            var info = await single.GetTableAsync("t");
            Assert.AreEqual(committed.Count(c => c.Shard == s), info.ItemCount, $"shard {s} holds what it acknowledged");
            held += info.ItemCount;
        }
        Assert.AreEqual(trajectories.Count, held);
        await writer.FlushAsync();
        Assert.AreEqual(0, writer.BufferedBytes, "nothing counted twice after the resend");
    }

    [TestMethod]
    public async Task EndedTrajectoriesAShardNeverAcknowledgedAreResentWhenItGoesDown()
    {
        await using var servers = await ServerSet.StartAsync(3);
        for (var s = 0; s < 3; s++)
        {
            // Shard 2's rate limiter holds every insert, so its trajectories wait, ended and unacknowledged.
            var spec = TableFill.ValueTable("t", Selector.Uniform);
            if (s == 2)
                spec.RateLimiter = new RateLimiterSpec { Explicit = new() { SamplesPerInsert = 1, MinSizeToSample = 1, MinDiff = -10, MaxDiff = -1 } };
            using var single = new GearClient(servers[s].Address);
            await single.CreateTableAsync(spec);
        }
        using var client = new GearClient(new GearClientOptions { Endpoints = servers.Addresses });
        await using var writer = await client.OpenWriterAsync("t", new TrajectoryWriterOptions { RoutingSalt = Salt });
        var ends = new List<Task<CommittedTrajectory>>();
        var onShard2 = new List<Task<CommittedTrajectory>>();
        // Shard 2 admits one insert below min_size_to_sample; the ones after it wait.
        for (var i = 0; onShard2.Count < OnShard2 + 1; i++)
        {
            Assert.IsTrue(i < MostTrajectories, $"{i} trajectories routed only {onShard2.Count} to shard 2");
            var trajectory = await writer.BeginTrajectoryAsync();
            await AppendAsync(trajectory, 10 * i, 10 * i + 1, 10 * i + 2);
            ends.Add(trajectory.EndAsync(1));
            if (trajectory.Shard == 2)
                onShard2.Add(ends[^1]);
        }
        await Task.WhenAll(ends.Except(onShard2)).WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(200);
        var held = onShard2.Where(e => !e.IsCompleted).ToList();
        Assert.IsTrue(held.Count >= OnShard2, $"only {held.Count} of {onShard2.Count} trajectories of shard 2 wait unacknowledged");

        await servers.StopAsync(2);
        var committed = await Task.WhenAll(ends);
        Assert.IsTrue(held.All(e => e.Result.Shard is 0 or 1 && e.Result.Steps == 3), "each held trajectory resent whole to a live shard");
        for (var s = 0; s < 2; s++)
        {
            using var single = new GearClient(servers[s].Address);
            Assert.AreEqual(committed.Count(c => c.Shard == s), (await single.GetTableAsync("t")).ItemCount, $"shard {s} holds what it acknowledged");
        }
    }

    [TestMethod]
    public async Task WithoutKeptMessagesATrajectoryOnTheDeadShardFailsAloneAndTheWriterGoesOn()
    {
        await using var servers = await ServerSet.StartAsync(3);
        using var client = await ClientWithTableAsync(servers);
        await using var writer = await client.OpenWriterAsync("t", new TrajectoryWriterOptions { RoutingSalt = Salt, MaxResendBytes = 0 });
        var trajectories = await BeginWithSentStepsAsync(writer);

        await servers.StopAsync(2);
        var ends = new List<Task<CommittedTrajectory>>();
        foreach (var trajectory in trajectories.Where(t => t.Shard != 2))
        {
            await AppendAsync(trajectory, 3, 4);
            ends.Add(trajectory.EndAsync(1));
        }
        Assert.IsTrue((await Task.WhenAll(ends)).All(c => c.Shard is 0 or 1));

        // The failure reaches each trajectory of shard 2 once its stream has broken; steps were sent and not
        // kept, so they cannot be resent, and each fails with UNAVAILABLE naming the shard.
        var lost = trajectories.Where(t => t.Shard == 2).ToList();
        foreach (var trajectory in lost)
        {
            var failure = await Assert.ThrowsExceptionAsync<TrajectoryWriteException>(async () =>
            {
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
                while (DateTime.UtcNow < deadline)
                {
                    await AppendAsync(trajectory, 3, 3);
                    await writer.FlushAsync();
                }
            });
            Assert.AreEqual(StatusCode.Unavailable, failure.StatusCode, failure.Message);
            Assert.AreEqual(servers.Addresses[2], failure.Endpoint);
        }

        // The writer goes on: new trajectories go to the live shards.
        var next = await writer.BeginTrajectoryAsync();
        await AppendAsync(next, 7, 8);
        var after = await next.EndAsync(1);
        Assert.IsTrue(after.Shard is 0 or 1);
        Assert.AreEqual(0, writer.PendingAcknowledgements);
    }

    [TestMethod]
    public async Task WhenEveryShardIsDownTheWriterFailsWithUnavailable()
    {
        await using var servers = await ServerSet.StartAsync(2);
        using var client = await ClientWithTableAsync(servers);
        await using var writer = await client.OpenWriterAsync("t", new TrajectoryWriterOptions { RoutingSalt = Salt });
        await servers.StopAsync(0);
        await servers.StopAsync(1);
        var failure = await Assert.ThrowsExceptionAsync<TrajectoryWriteException>(async () =>
        {
            for (var i = 0; i < 1000; i++)
            {
                var trajectory = await writer.BeginTrajectoryAsync();
                await AppendAsync(trajectory, i, i + 1);
                await trajectory.EndAsync(1);
            }
        });
        Assert.AreEqual(StatusCode.Unavailable, failure.StatusCode, failure.Message);
        await Assert.ThrowsExceptionAsync<TrajectoryWriteException>(async () => await writer.BeginTrajectoryAsync());
    }

    private static async Task<GearClient> ClientWithTableAsync(ServerSet servers)
    {
        var fast = new RetryPolicy { MaxAttempts = 2, InitialBackoff = TimeSpan.FromMilliseconds(20) };
        var client = new GearClient(new GearClientOptions { Endpoints = servers.Addresses, Retry = fast });
        await client.CreateTableAsync(TableFill.ValueTable("t", Selector.Uniform));
        return client;
    }

    /// <summary>
    /// Opens trajectories with two committed steps each, at least 30 and until <see cref="OnShard2"/> are on shard 2,
    /// and waits until those steps are on the connections.
    /// </summary>
    private static async Task<List<Trajectory>> BeginWithSentStepsAsync(TrajectoryWriter writer)
    {
        var trajectories = new List<Trajectory>();
        for (var i = 0; i < 30 || trajectories.Count(t => t.Shard == 2) < OnShard2; i++)
        {
            Assert.IsTrue(i < MostTrajectories, $"{i} trajectories routed fewer than {OnShard2} to shard 2");
            var trajectory = await writer.BeginTrajectoryAsync();
            await AppendAsync(trajectory, 10 * i, 10 * i + 1);
            trajectories.Add(trajectory);
        }
        await writer.FlushAsync();
        return trajectories;
    }

    private static async Task AppendAsync(Trajectory trajectory, params int[] values)
    {
        trajectory.Append<int>("value", values);
        await trajectory.CommitStepsAsync();
    }
}
