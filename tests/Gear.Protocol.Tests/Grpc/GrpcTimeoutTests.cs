using Gear.Protocol.Grpc;

namespace Gear.Protocol.Tests.Grpc;

[TestClass]
public sealed class GrpcTimeoutTests
{
    [DataTestMethod]
    [DataRow("1H", 36_000_000_000L)]
    [DataRow("2M", 1_200_000_000L)]
    [DataRow("3S", 30_000_000L)]
    [DataRow("250m", 2_500_000L)]
    [DataRow("7u", 70L)]
    [DataRow("100n", 1L)]
    [DataRow("1n", 1L)]
    [DataRow("99999999H", 99_999_999L * 36_000_000_000L)]
    [DataRow("00000005S", 50_000_000L)]
    public void ParsesEveryUnit(string text, long ticks)
    {
        Assert.IsTrue(GrpcTimeout.TryParse(text, out TimeSpan timeout));
        Assert.AreEqual(ticks, timeout.Ticks);
    }

    [DataTestMethod]
    [DataRow("")]
    [DataRow("S")]
    [DataRow("5")]
    [DataRow("5s")]
    [DataRow("5h")]
    [DataRow("-5S")]
    [DataRow("+5S")]
    [DataRow(" 5S")]
    [DataRow("5 S")]
    [DataRow("1.5S")]
    [DataRow("123456789S")]
    public void RejectsWhatTheGrammarDoesNotAllow(string text)
    {
        Assert.IsFalse(GrpcTimeout.TryParse(text, out _));
    }

    [TestMethod]
    public void FormatsInTheFinestUnitThatFitsEightDigits()
    {
        Assert.AreEqual("100n", GrpcTimeout.Format(TimeSpan.FromTicks(1)));
        Assert.AreEqual("99999900n", GrpcTimeout.Format(TimeSpan.FromTicks(999_999)));
        Assert.AreEqual("100000u", GrpcTimeout.Format(TimeSpan.FromMilliseconds(100)));
        Assert.AreEqual("30000000u", GrpcTimeout.Format(TimeSpan.FromSeconds(30)));
        Assert.AreEqual("300000m", GrpcTimeout.Format(TimeSpan.FromMinutes(5)));
        Assert.AreEqual("99999999H", GrpcTimeout.Format(TimeSpan.MaxValue));
    }

    [TestMethod]
    public void FormatRoundsUpAndNeverExpiresEarlier()
    {
        var odd = TimeSpan.FromTicks(123_456_789_123); // needs rounding in every unit that fits
        Assert.IsTrue(GrpcTimeout.TryParse(GrpcTimeout.Format(odd), out TimeSpan back));
        Assert.IsTrue(back >= odd, $"{back} < {odd}");
        Assert.IsTrue(back - odd < TimeSpan.FromSeconds(1));
    }

    [TestMethod]
    public void FormatOfAnExpiredTimeoutIsStillValid()
    {
        Assert.AreEqual("1n", GrpcTimeout.Format(TimeSpan.Zero));
        Assert.AreEqual("1n", GrpcTimeout.Format(TimeSpan.FromSeconds(-3)));
    }

    [TestMethod]
    public void FormattedValuesAlwaysParse()
    {
        var random = new Random(5);
        for (int i = 0; i < 1000; i++)
        {
            var timeout = TimeSpan.FromTicks((long)(random.NextDouble() * TimeSpan.FromDays(3000).Ticks));
            string text = GrpcTimeout.Format(timeout);
            Assert.IsTrue(text.Length <= 9, text);
            Assert.IsTrue(GrpcTimeout.TryParse(text, out TimeSpan back), text);
            Assert.IsTrue(back >= timeout, text);
        }
    }
}
