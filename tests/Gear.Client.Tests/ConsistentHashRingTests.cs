namespace Gear.Client.Tests;

[TestClass]
public sealed class ConsistentHashRingTests
{
    private static readonly string[] ThreeServers = ["http://10.0.0.1:7000", "http://10.0.0.2:7000", "http://10.0.0.3:7000"];
    private const int Keys = 200_000;

    [TestMethod]
    public void AddingAFourthServerMovesAboutAQuarterOfTheKeysAllToTheNewServer()
    {
        var before = new ConsistentHashRing(ThreeServers);
        var after = new ConsistentHashRing([.. ThreeServers, "http://10.0.0.4:7000"]);
        var moved = 0;
        for (ulong key = 0; key < Keys; key++)
        {
            var from = before.ShardOf(key);
            var to = after.ShardOf(key);
            if (from == to)
                continue;
            moved++;
            Assert.AreEqual(3, to, $"key {key} moved from shard {from} to shard {to}, not to the new server");
        }
        var fraction = (double)moved / Keys;
        Assert.IsTrue(fraction is > 0.20 and < 0.30, $"{fraction:P1} of keys moved; about 25% expected");
    }

    [TestMethod]
    public void KeysSpreadEvenlyOverShards()
    {
        var ring = new ConsistentHashRing(ThreeServers);
        var counts = new int[3];
        for (ulong key = 0; key < Keys; key++)
            counts[ring.ShardOf(key)]++;
        foreach (var count in counts)
            Assert.IsTrue(Math.Abs(count / (double)Keys - 1.0 / 3) < 0.05, $"shares {string.Join(", ", counts)} are not within 5 points of a third");
    }

    [TestMethod]
    public void RoutingDependsOnNamesNotOnTheirOrder()
    {
        var ring = new ConsistentHashRing(ThreeServers);
        var reversed = new ConsistentHashRing(ThreeServers.Reverse().ToArray());
        for (ulong key = 0; key < 10_000; key++)
            Assert.AreEqual(ThreeServers[ring.ShardOf(key)], ThreeServers.Reverse().ElementAt(reversed.ShardOf(key)));
    }

    [TestMethod]
    public void RemovingAServerMovesOnlyItsKeys()
    {
        var before = new ConsistentHashRing(ThreeServers);
        var after = new ConsistentHashRing([ThreeServers[0], ThreeServers[2]]);
        for (ulong key = 0; key < 20_000; key++)
        {
            var from = ThreeServers[before.ShardOf(key)];
            if (from != ThreeServers[1])
                Assert.AreEqual(from, after.ShardOf(key) == 0 ? ThreeServers[0] : ThreeServers[2], $"key {key} moved although its server stayed");
        }
    }
}
