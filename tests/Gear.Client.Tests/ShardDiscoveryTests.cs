using System.Net;

namespace Gear.Client.Tests;

[TestClass]
public sealed class ShardDiscoveryTests
{
    [TestMethod]
    public async Task EveryAddressBecomesAnEndpointInAStableOrder()
    {
        var answer = new[] { IPAddress.Parse("10.0.0.12"), IPAddress.Parse("10.0.0.3"), IPAddress.Parse("fd00::1"), IPAddress.Parse("10.0.0.3") };

        var endpoints = await ShardDiscovery.ResolveAsync(new Uri("https://gear-replay.ml.svc.cluster.local:50051"),
            (name, _) => Task.FromResult(name == "gear-replay.ml.svc.cluster.local" ? answer : []));

        CollectionAssert.AreEqual(
            new[] { "https://10.0.0.3:50051/", "https://10.0.0.12:50051/", "https://[fd00::1]:50051/" },
            endpoints.Select(e => e.ToString()).ToArray());
        var shuffled = await ShardDiscovery.ResolveAsync(new Uri("https://gear-replay.ml.svc.cluster.local:50051"),
            (_, _) => Task.FromResult(answer.Reverse().ToArray()));
        CollectionAssert.AreEqual(endpoints.ToArray(), shuffled.ToArray(), "every client builds the same ring");
    }

    [TestMethod]
    public async Task LocalhostResolvesAndLiteralsPassThrough()
    {
        var local = await ShardDiscovery.ResolveAsync(new Uri("http://localhost:50051"));
        CollectionAssert.Contains(local.Select(e => e.ToString()).ToArray(), "http://127.0.0.1:50051/");
        var literal = await ShardDiscovery.ResolveAsync(new Uri("http://192.0.2.7:7000"));
        Assert.AreEqual("http://192.0.2.7:7000/", literal.Single().ToString());
        await Assert.ThrowsExceptionAsync<ArgumentException>(() =>
            ShardDiscovery.ResolveAsync(new Uri("http://nowhere:1"), (_, _) => Task.FromResult(Array.Empty<IPAddress>())));
    }
}
