using Gear.Server.Bench;

namespace Gear.Server.Tests.Bench;

[TestClass]
public sealed class PercentilesTests
{
    [TestMethod]
    public void InterpolatesBetweenTheClosestRanks()
    {
        double[] oneToHundred = [.. Enumerable.Range(1, 100).Select(i => (double)i)];
        Assert.AreEqual(50.5, Percentiles.OfSorted(oneToHundred, 50), 1e-9);
        Assert.AreEqual(99.01, Percentiles.OfSorted(oneToHundred, 99), 1e-9);
        Assert.AreEqual(1, Percentiles.OfSorted(oneToHundred, 0));
        Assert.AreEqual(100, Percentiles.OfSorted(oneToHundred, 100));
    }

    [TestMethod]
    public void OddCountMedianIsTheMiddleValue()
    {
        Assert.AreEqual(3, Percentiles.OfSorted([1, 2, 3, 4, 100], 50));
        Assert.AreEqual(7, Percentiles.OfSorted([7], 99), "one value is every percentile");
    }

    [TestMethod]
    public void SortsBeforeComputing()
    {
        double[] values = [900, 100, 500, 300, 700];
        var result = Percentiles.Of(values, 50, 99, 25);
        CollectionAssert.AreEqual(new double[] { 500, 892, 300 }, result.Select(v => Math.Round(v, 9)).ToArray());
        CollectionAssert.AreEqual(new double[] { 100, 300, 500, 700, 900 }, values, "sorted in place");
    }

    [TestMethod]
    public void TailPercentileSeesTheOutliers()
    {
        // 990 fast calls and 10 slow ones: the median ignores them, p99 lands among them.
        double[] values = [.. Enumerable.Repeat(100.0, 990), .. Enumerable.Repeat(5000.0, 10)];
        var result = Percentiles.Of(values, 50, 99);
        Assert.AreEqual(100, result[0]);
        Assert.IsTrue(result[1] > 100, $"p99 {result[1]} must reflect the slow calls");
    }

    [TestMethod]
    public void RefusesNoValuesAndOutOfRangePercentiles()
    {
        Assert.ThrowsException<ArgumentException>(() => Percentiles.OfSorted([], 50));
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => Percentiles.OfSorted([1, 2], 101));
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => Percentiles.OfSorted([1, 2], -1));
        Assert.ThrowsException<ArgumentOutOfRangeException>(() => Percentiles.OfSorted([1, 2], double.NaN));
    }
}
