using Gear.Server.Bench;
using Gear.Server.Bench.Soak;

namespace Gear.Server.Tests.Bench;

/// <summary>The soak's phases and verdicts, judged on made-up intervals.</summary>
[TestClass]
public sealed class SoakChecksTests
{
    private static readonly SoakOptions TenIntervals = new(TimeSpan.FromSeconds(100), 64, 4, 1000, TimeSpan.FromSeconds(10));

    [TestMethod]
    public void AFifthIsWarmupThenHalfWithIdleConnectionsAndHalfWithout()
    {
        Assert.AreEqual(10, TenIntervals.Intervals);
        Assert.AreEqual(2, TenIntervals.WarmupIntervals);
        Assert.AreEqual(4, TenIntervals.IdleIntervals);
        CollectionAssert.AreEqual(
            new[] { "warm-up", "warm-up", "idle", "idle", "idle", "idle", "load", "load", "load", "load" },
            Enumerable.Range(0, 10).Select(TenIntervals.Phase).ToArray());
        Assert.AreEqual(0, (TenIntervals with { IdleConnections = 0 }).IdleIntervals);
        Assert.AreEqual("load", (TenIntervals with { IdleConnections = 0 }).Phase(2));
        Assert.AreEqual((2, 1), (TenIntervals.StreamLearners, (TenIntervals with { Learners = 3 }).DataPlaneLearners));
    }

    [TestMethod]
    public void SteadyFiguresPassEveryCheck()
    {
        var checks = SoakChecks.Judge(TenIntervals, Intervals(rss: _ => 100e6, rate: _ => 1000), totalErrors: 0);
        Assert.IsTrue(checks.All(c => c.Passed), string.Join('\n', checks));
    }

    [TestMethod]
    public void MemoryMayNotRiseMoreThanFivePercentAfterTheWarmup()
    {
        // The baseline is the highest RSS of the warm-up's second half; what the warm-up itself grew does not count.
        Assert.IsTrue(Check("memory", Intervals(rss: i => i < 2 ? 50e6 + i * 50e6 : 104e6, rate: _ => 1000)).Passed);
        var grown = Check("memory", Intervals(rss: i => i == 9 ? 106e6 : 100e6, rate: _ => 1000));
        Assert.IsFalse(grown.Passed);
        StringAssert.Contains(grown.Detail, "+6.0%");
        // A warm-up (4 of 20 intervals) that ends in a trough of the collector's swings: the swing back up is not growth.
        var twenty = TenIntervals with { Duration = TimeSpan.FromSeconds(200) };
        Assert.AreEqual(4, twenty.WarmupIntervals);
        Assert.IsTrue(Check("memory", Intervals(rss: i => i == 3 ? 94e6 : 100e6, rate: _ => 1000, options: twenty), options: twenty).Passed);
    }

    [TestMethod]
    public void ABurstThatTheServerGivesBackIsNotGrowthButMemoryThatStaysUpIs()
    {
        // Ten intervals: two of warm-up, then the judged last quarter of the other eight is intervals 8 and 9.
        var given = Check("memory", Intervals(rss: i => i == 6 ? 112e6 : 100e6, rate: _ => 1000));
        Assert.IsTrue(given.Passed, given.Detail);
        StringAssert.Contains(given.Detail, "peak 112.0 MB");
        var kept = Check("memory", Intervals(rss: i => i >= 6 ? 112e6 : 100e6, rate: _ => 1000));
        Assert.IsFalse(kept.Passed);
        StringAssert.Contains(kept.Detail, "+12.0%");
    }

    [TestMethod]
    public void IdleConnectionsMayNotCostMoreThanATenthOfTheThroughput()
    {
        Assert.IsTrue(Check("idle-throughput", Intervals(rss: _ => 100e6, rate: i => i is >= 2 and < 6 ? 910 : 1000)).Passed);
        Assert.IsTrue(Check("idle-throughput", Intervals(rss: _ => 100e6, rate: i => i is >= 2 and < 6 ? 1500 : 1000)).Passed, "faster is not an effect");
        Assert.IsFalse(Check("idle-throughput", Intervals(rss: _ => 100e6, rate: i => i is >= 2 and < 6 ? 880 : 1000)).Passed);
        Assert.IsFalse(Check("idle-connections", Intervals(rss: _ => 100e6, rate: _ => 1000, connections: 900)).Passed, "fewer open than opened");
    }

    [TestMethod]
    public void ErrorsAndALimiterOutsideItsBoundsFail()
    {
        Assert.IsFalse(Check("errors", Intervals(rss: _ => 100e6, rate: _ => 1000), totalErrors: 1).Passed);
        var outside = Intervals(rss: _ => 100e6, rate: _ => 1000);
        outside[4] = outside[4] with { Limiter = new LimiterState(50_000, 30_000, 1, -9000, 11_000) };
        Assert.IsFalse(Check("rate-limiter", outside).Passed);
    }

    private static SoakCheck Check(string name, IReadOnlyList<SoakInterval> intervals, long totalErrors = 0, SoakOptions? options = null) =>
        SoakChecks.Judge(options ?? TenIntervals, intervals, totalErrors).Single(c => c.Name == name);

    private static SoakInterval[] Intervals(Func<int, double> rss, Func<int, double> rate, long connections = 1068, SoakOptions? options = null)
    {
        var run = options ?? TenIntervals;
        var none = new LatencySummary(0, 0, 0);
        return [.. Enumerable.Range(0, run.Intervals).Select(i => new SoakInterval(
            i, (i + 1) * 10.0, 10, run.Phase(i), rate(i), rate(i) * 97, none, rate(i), rate(i) * 97, none, 0, (long)rss(i),
            run.Phase(i) == "load" ? 68 : connections, new LimiterState(1000L * (i + 1), 1000L * (i + 1), 1, -9000, 11_000), 1))];
    }
}
