using Gear.Protocol.Grpc;
using Gear.Protocol.V1;

namespace Gear.Client.Tests;

[TestClass]
public sealed class ShardedClientTests
{
    private const double Alpha = 0.7;

    /// <summary>
    /// Three real servers with priorities chosen so that weighting shards by anything but Σ p^α is visibly
    /// wrong: the shard with most items holds the least mass, the one with fewest the most.
    /// </summary>
    private static readonly double[][] ShardPriorities =
    [
        Enumerable.Range(1, 10).Select(i => (double)i).ToArray(), // 10 items, Σ p^0.7 ≈ 31.9
        [40, 60, 80],                                            // 3 items,  Σ p^0.7 ≈ 52.4
        Enumerable.Repeat(0.2, 30).ToArray(),                    // 30 items, Σ p^0.7 ≈ 9.7
    ];

    [TestMethod]
    public async Task ShardedSamplesFollowTheDistributionOfOneCombinedTable()
    {
        await using var servers = await ServerSet.StartAsync(3);
        var keys = new ulong[3][];
        for (var s = 0; s < 3; s++)
        {
            using var single = new GearClient(servers[s].Address);
            await single.CreateTableAsync(TableFill.ValueTable("t", Selector.Prioritized, Alpha));
            keys[s] = await TableFill.WriteAsync(single, "t", ShardPriorities[s], firstValue: s * 1000);
        }
        // Expected P of (shard, key): p^α over Σ p^α of everything, as one table holding all 43 items would give.
        var total = ShardPriorities.SelectMany(p => p).Sum(p => Math.Pow(p, Alpha));
        var expected = new Dictionary<(int, ulong), double>();
        for (var s = 0; s < 3; s++)
            for (var i = 0; i < keys[s].Length; i++)
                expected[(s, keys[s][i])] = Math.Pow(ShardPriorities[s][i], Alpha) / total;

        using var client = new GearClient(new GearClientOptions { Endpoints = servers.Addresses });
        var merged = await client.GetTableAsync("t");
        Assert.AreEqual(43, merged.ItemCount);
        Assert.AreEqual(total, merged.SelectionMass, 1e-9 * total);

        const double beta = 0.4;
        const int batches = 200, batchSize = 64;
        var counts = expected.Keys.ToDictionary(k => k, _ => 0);
        await using (var stream = await client.OpenBatchStreamAsync(new SampleOptions("t")
        {
            BatchSize = batchSize, MaxBatches = batches, Seed = 20240601, ImportanceExponent = beta, BatchesInFlight = 4,
        }))
        {
            await foreach (var batch in stream)
            {
                using (batch)
                {
                    Assert.AreEqual(batchSize, batch.BatchSize);
                    Assert.AreEqual(43, batch.ItemCount);
                    var smallest = double.MaxValue;
                    for (var w = 0; w < batch.BatchSize; w++)
                    {
                        var item = (batch.Shards[w], batch.Keys[w]);
                        Assert.IsTrue(expected.TryGetValue(item, out var p), $"window {w}: unknown item {item}");
                        counts[item]++;
                        Assert.AreEqual(p, batch.Probabilities[w], 1e-9 * p, $"probability of {item} in the combined table");
                        // The value column says which shard wrote it: the bytes came with the right window.
                        Assert.AreEqual(batch.Shards[w], batch.Column<int>("value")[w] / 1000);
                        smallest = Math.Min(smallest, p);
                    }
                    for (var w = 0; w < batch.BatchSize; w++)
                        Assert.AreEqual(Math.Pow(smallest / batch.Probabilities[w], beta), batch.ImportanceWeights[w], 1e-9, "(N·P)^-β over the batch maximum");
                }
            }
        }

        var n = (double)(batches * batchSize);
        var chiSquare = expected.Sum(e => Math.Pow(counts[e.Key] - n * e.Value, 2) / (n * e.Value));
        var totalVariation = expected.Sum(e => Math.Abs(counts[e.Key] / n - e.Value)) / 2;
        // 43 items, 42 degrees of freedom: the 0.1% critical value is 76.1.
        Assert.IsTrue(chiSquare < 76.1, $"chi-square {chiSquare:F1} over 42 degrees of freedom (critical 76.1 at 0.1%)");
        Assert.IsTrue(totalVariation < 0.04, $"total variation {totalVariation:F3}");

        // The shard shares themselves, against what weighting by item count would have given (C: 70%).
        var shareOfC = counts.Where(c => c.Key.Item1 == 2).Sum(c => c.Value) / n;
        Assert.AreEqual(9.7 / total, shareOfC, 0.02, "the 30 low-priority items must get about their mass share");
    }

    [TestMethod]
    public async Task WithAShardDownSamplingAndInsertsGoOnWithTheOthers()
    {
        await using var servers = await ServerSet.StartAsync(3);
        int[] items = [10, 20, 30];
        for (var s = 0; s < 3; s++)
        {
            using var single = new GearClient(servers[s].Address);
            await single.CreateTableAsync(TableFill.ValueTable("t", Selector.Uniform));
            await TableFill.WriteAsync(single, "t", Enumerable.Repeat(1.0, items[s]).ToArray(), firstValue: s * 1000);
        }
        var fast = new RetryPolicy { MaxAttempts = 2, InitialBackoff = TimeSpan.FromMilliseconds(20) };
        using var client = new GearClient(new GearClientOptions { Endpoints = servers.Addresses, Retry = fast });
        await servers.StopAsync(2);

        // Uniform over the 30 items that remain: every window from shard 0 or 1, each with probability 1/30.
        using (var batch = await client.SampleAsync(new SampleOptions("t") { BatchSize = 64, Seed = 7 }))
            AssertFromLiveShards(batch, liveItems: 30);
        await using (var stream = await client.OpenBatchStreamAsync(new SampleOptions("t") { BatchSize = 64, MaxBatches = 5, Seed = 8 }))
        {
            var batches = 0;
            await foreach (var batch in stream)
            {
                using (batch)
                    AssertFromLiveShards(batch, liveItems: 30);
                batches++;
            }
            Assert.AreEqual(5, batches);
        }

        // Inserts go to the live shards, the dead one's share included, without the actor noticing; fast.
        await using var writer = await client.OpenWriterAsync("t", new TrajectoryWriterOptions { RoutingSalt = 12345 });
        var started = DateTime.UtcNow;
        var ends = new List<Task<CommittedTrajectory>>();
        var ownedByDeadShard = 0;
        for (var i = 0; i < 60; i++)
        {
            var trajectory = await writer.BeginTrajectoryAsync();
            if (client.Ring!.ShardOf(12345UL ^ trajectory.Id) == 2)
                ownedByDeadShard++;
            await trajectory.Append("value", 5000 + i).CommitStepsAsync();
            ends.Add(trajectory.EndAsync(1));
        }
        var committed = await Task.WhenAll(ends);
        Assert.IsTrue(ownedByDeadShard > 5, $"only {ownedByDeadShard} of 60 trajectories belong to the dead shard");
        Assert.IsTrue(committed.All(c => c.Shard is 0 or 1), "every trajectory acknowledged by a live shard");
        Assert.IsTrue(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), $"took {DateTime.UtcNow - started}");
        for (var s = 0; s < 2; s++)
        {
            using var single = new GearClient(servers[s].Address);
            Assert.AreEqual(items[s] + committed.Count(c => c.Shard == s), (await single.GetTableAsync("t")).ItemCount, $"shard {s}");
        }
    }

    private static void AssertFromLiveShards(SampleBatch batch, int liveItems)
    {
        Assert.AreEqual(64, batch.BatchSize);
        Assert.AreEqual(liveItems, batch.ItemCount, "N of the combined table is what the live shards hold");
        for (var w = 0; w < batch.BatchSize; w++)
        {
            Assert.IsTrue(batch.Shards[w] is 0 or 1, $"window {w} from shard {batch.Shards[w]}");
            Assert.AreEqual(batch.Shards[w], batch.Column<int>("value")[w] / 1000, "the bytes came from the shard named");
            Assert.AreEqual(1.0 / liveItems, batch.Probabilities[w], 1e-9, "probability over the remaining mass");
        }
    }

    [TestMethod]
    public async Task WritersSpreadTrajectoriesOverShardsAndAcknowledgeWhereEachWent()
    {
        await using var servers = await ServerSet.StartAsync(3);
        using var client = new GearClient(new GearClientOptions { Endpoints = servers.Addresses });
        await client.CreateTableAsync(TableFill.ValueTable("t", Selector.Uniform));
        var committed = new List<CommittedTrajectory>();
        await using (var writer = await client.OpenWriterAsync("t", new TrajectoryWriterOptions { RoutingSalt = 12345 }))
        {
            var ends = new List<Task<CommittedTrajectory>>();
            for (var i = 0; i < 90; i++)
            {
                var trajectory = await writer.BeginTrajectoryAsync();
                Assert.AreEqual(client.Ring!.ShardOf(12345UL ^ trajectory.Id), trajectory.Shard);
                await trajectory.Append("value", i).CommitStepsAsync();
                ends.Add(trajectory.EndAsync(1));
            }
            committed.AddRange(await Task.WhenAll(ends));
        }
        for (var s = 0; s < 3; s++)
        {
            using var single = new GearClient(servers[s].Address);
            var onShard = committed.Count(c => c.Shard == s);
            Assert.IsTrue(onShard >= 15, $"shard {s} got {onShard} of 90 trajectories");
            Assert.AreEqual(onShard, (await single.GetTableAsync("t")).ItemCount, $"shard {s} holds what was acknowledged there");
        }
        Assert.AreEqual(90, (await client.GetTableAsync("t")).ItemCount);
    }

    [TestMethod]
    public async Task PriorityUpdatesGoToTheShardEachKeyCameFrom()
    {
        await using var servers = await ServerSet.StartAsync(3);
        using var client = new GearClient(new GearClientOptions { Endpoints = servers.Addresses });
        await client.CreateTableAsync(TableFill.ValueTable("t", Selector.Prioritized));
        // The same keys exist on every shard (each server numbers its own items), so misrouting would not be
        // caught by "applied" counts; the shards' masses tell.
        for (var s = 0; s < 3; s++)
        {
            using var single = new GearClient(servers[s].Address);
            await TableFill.WriteAsync(single, "t", [1, 1, 1, 1, 1], firstValue: s * 1000);
        }
        using var batch = await client.SampleAsync(new SampleOptions("t") { BatchSize = 12, Seed = 77 });
        var zeros = new double[batch.BatchSize];
        var result = await client.UpdatePrioritiesAsync("t", batch, zeros);
        Assert.AreEqual(batch.BatchSize, result.Applied);
        for (var s = 0; s < 3; s++)
        {
            using var single = new GearClient(servers[s].Address);
            var zeroed = Enumerable.Range(0, batch.BatchSize).Where(w => batch.Shards[w] == s).Select(w => batch.Keys[w]).Distinct().Count();
            Assert.AreEqual(5 - zeroed, (await single.GetTableAsync("t")).SelectionMass, 1e-9, $"shard {s}");
        }
        Assert.ThrowsException<ArgumentException>(() => client.UpdatePrioritiesAsync("t", batch.Keys, zeros));
    }

    [TestMethod]
    public async Task TableManagementAppliesToEveryShard()
    {
        await using var servers = await ServerSet.StartAsync(2);
        using var client = new GearClient(new GearClientOptions { Endpoints = servers.Addresses });
        await client.CreateTableAsync(TableFill.ValueTable("t", Selector.Uniform));
        for (var s = 0; s < 2; s++)
            Assert.AreEqual(1, servers[s].Tables.Count);
        await client.DropTableAsync("t");
        for (var s = 0; s < 2; s++)
            Assert.AreEqual(0, servers[s].Tables.Count);
        Assert.AreEqual(2, (await client.GetServerInfoAsync()).Count);
    }

    [TestMethod]
    public void SplitIsMultinomialInTheMasses()
    {
        var counts = new int[3];
        var totals = new long[3];
        var random = new Random(1);
        for (var i = 0; i < 2000; i++)
        {
            ShardSplit.Draw(100, [1, 0, 3], random, counts);
            Assert.AreEqual(100, counts.Sum());
            Assert.AreEqual(0, counts[1], "a shard without mass gets no windows");
            for (var s = 0; s < 3; s++)
                totals[s] += counts[s];
        }
        Assert.AreEqual(0.25, totals[0] / 200_000.0, 0.005);
        Assert.ThrowsException<InvalidOperationException>(() => ShardSplit.Draw(1, [0, 0], random, new int[2]));
    }
}
