using Gear.Core.Errors;
using Gear.Core.RateLimiting;

namespace Gear.Core.Tests.RateLimiting;

[TestClass]
public sealed class RateLimiterSpecTests
{
    [TestMethod]
    public void MinSize_HasReverbsParameters()
    {
        RateLimiterSpec spec = RateLimiterSpec.MinSize(7);
        Assert.AreEqual(new RateLimiterSpec(1.0, 7, -double.MaxValue, double.MaxValue), spec);
    }

    [TestMethod]
    public void SampleToInsertRatio_ScalarErrorBuffer_IsOffsetBySamplesPerInsertTimesMinSize()
    {
        RateLimiterSpec spec = RateLimiterSpec.SampleToInsertRatio(2.0, 3, 4.0);
        Assert.AreEqual(new RateLimiterSpec(2.0, 3, 2.0, 10.0), spec);
    }

    [TestMethod]
    public void SampleToInsertRatio_RangeErrorBuffer_IsUsedWithoutOffset()
    {
        RateLimiterSpec spec = RateLimiterSpec.SampleToInsertRatio(2.0, 3, (-5.0, 5.0));
        Assert.AreEqual(new RateLimiterSpec(2.0, 3, -5.0, 5.0), spec);
    }

    [TestMethod]
    public void SampleToInsertRatio_AcceptsTheSmallestBufferReverbAllows()
    {
        // error_buffer == max(1, spi) gives max_diff - min_diff == 2 * max(1, spi), the boundary Reverb accepts.
        Assert.AreEqual(new RateLimiterSpec(0.5, 4, 1.0, 3.0), RateLimiterSpec.SampleToInsertRatio(0.5, 4, 1.0));
        Assert.AreEqual(new RateLimiterSpec(3.0, 2, 3.0, 9.0), RateLimiterSpec.SampleToInsertRatio(3.0, 2, 3.0));
        Assert.AreEqual(new RateLimiterSpec(3.0, 2, 0.0, 6.0), RateLimiterSpec.SampleToInsertRatio(3.0, 2, (0.0, 6.0)));
    }

    [TestMethod]
    public void SampleToInsertRatio_MaxDiffBelowOffset_IsAcceptedAsInReverb()
    {
        // Reverb only logs a warning for max_diff < spi * min_size_to_sample.
        RateLimiterSpec spec = RateLimiterSpec.SampleToInsertRatio(1.0, 10, (-4.0, 2.0));
        Assert.AreEqual(2.0, spec.MaxDiff);
    }

    [TestMethod]
    public void QueueAndStack_HaveReverbsParameters()
    {
        Assert.AreEqual(new RateLimiterSpec(1.0, 1, 0.0, 5.0), RateLimiterSpec.Queue(5));
        Assert.AreEqual(new RateLimiterSpec(1.0, 1, 0.0, 5.0), RateLimiterSpec.Stack(5));
    }

    [TestMethod]
    public void MinSize_RejectsNonPositiveMinSize()
    {
        AssertInvalid(() => RateLimiterSpec.MinSize(0), "min_size_to_sample", "0");
        AssertInvalid(() => RateLimiterSpec.MinSize(-3), "min_size_to_sample", "-3");
    }

    [TestMethod]
    public void SampleToInsertRatio_RejectsBadSamplesPerInsert()
    {
        AssertInvalid(() => RateLimiterSpec.SampleToInsertRatio(0.0, 1, 5.0), "samples_per_insert", "0");
        AssertInvalid(() => RateLimiterSpec.SampleToInsertRatio(-1.0, 1, 5.0), "samples_per_insert", "-1");
        AssertInvalid(() => RateLimiterSpec.SampleToInsertRatio(double.NaN, 1, 5.0), "samples_per_insert", "NaN");
        AssertInvalid(() => RateLimiterSpec.SampleToInsertRatio(double.PositiveInfinity, 1, 5.0), "samples_per_insert", "Infinity");
        AssertInvalid(() => RateLimiterSpec.SampleToInsertRatio(0.0, 1, (-5.0, 5.0)), "samples_per_insert", "0");
    }

    [TestMethod]
    public void SampleToInsertRatio_RejectsBadMinSize()
    {
        AssertInvalid(() => RateLimiterSpec.SampleToInsertRatio(1.0, 0, 5.0), "min_size_to_sample", "0");
        AssertInvalid(() => RateLimiterSpec.SampleToInsertRatio(1.0, -2, (-5.0, 5.0)), "min_size_to_sample", "-2");
    }

    [TestMethod]
    public void SampleToInsertRatio_RejectsTooSmallErrorBuffer()
    {
        // Scalar: error_buffer < max(1, spi).
        AssertInvalid(() => RateLimiterSpec.SampleToInsertRatio(0.5, 1, 0.99), "error_buffer", "0.99");
        AssertInvalid(() => RateLimiterSpec.SampleToInsertRatio(4.0, 1, 3.5), "error_buffer", "3.5");
        AssertInvalid(() => RateLimiterSpec.SampleToInsertRatio(4.0, 1, -10.0), "error_buffer", "-10");
        // Range: max_diff - min_diff < 2 * max(1, spi).
        AssertInvalid(() => RateLimiterSpec.SampleToInsertRatio(1.0, 1, (0.0, 1.5)), "error_buffer", "1.5");
        AssertInvalid(() => RateLimiterSpec.SampleToInsertRatio(3.0, 1, (-2.0, 3.0)), "error_buffer", "-2");
        AssertInvalid(() => RateLimiterSpec.SampleToInsertRatio(1.0, 1, (5.0, -5.0)), "error_buffer", "-5");
    }

    [TestMethod]
    public void SampleToInsertRatio_RejectsNonFiniteErrorBuffer()
    {
        AssertInvalid(() => RateLimiterSpec.SampleToInsertRatio(1.0, 1, double.NaN), "error_buffer", "NaN");
        AssertInvalid(() => RateLimiterSpec.SampleToInsertRatio(1.0, 1, double.PositiveInfinity), "error_buffer", "Infinity");
        AssertInvalid(() => RateLimiterSpec.SampleToInsertRatio(1.0, 1, (double.NaN, 5.0)), "min_diff", "NaN");
        AssertInvalid(() => RateLimiterSpec.SampleToInsertRatio(1.0, 1, (0.0, double.NaN)), "max_diff", "NaN");
    }

    [TestMethod]
    public void SampleToInsertRatio_RejectsMinDiffAboveOffset()
    {
        // spi * min_size = 2 * 3 = 6; min_diff 6.5 deadlocks once 3 items are in (Reverb raises ValueError).
        AssertInvalid(() => RateLimiterSpec.SampleToInsertRatio(2.0, 3, (6.5, 20.0)), "min_diff", "6.5");
        // Exactly at the offset is allowed.
        Assert.AreEqual(6.0, RateLimiterSpec.SampleToInsertRatio(2.0, 3, (6.0, 20.0)).MinDiff);
    }

    [TestMethod]
    public void QueueAndStack_RejectNonPositiveSize()
    {
        AssertInvalid(() => RateLimiterSpec.Queue(0), "size", "0");
        AssertInvalid(() => RateLimiterSpec.Stack(-1), "size", "-1");
    }

    [TestMethod]
    public void RawSpec_ConstructorValidatesEveryField()
    {
        AssertInvalid(() => new RateLimiterSpec(0.0, 1, 0, 1), "samples_per_insert", "0");
        AssertInvalid(() => new RateLimiterSpec(double.NaN, 1, 0, 1), "samples_per_insert", "NaN");
        AssertInvalid(() => new RateLimiterSpec(double.PositiveInfinity, 1, 0, 1), "samples_per_insert", "Infinity");
        AssertInvalid(() => new RateLimiterSpec(1.0, 0, 0, 1), "min_size_to_sample", "0");
        AssertInvalid(() => new RateLimiterSpec(1.0, 1, double.NaN, 1), "min_diff", "NaN");
        AssertInvalid(() => new RateLimiterSpec(1.0, 1, 0, double.NaN), "max_diff", "NaN");
        AssertInvalid(() => new RateLimiterSpec(1.0, 1, double.PositiveInfinity, double.PositiveInfinity), "min_diff", "Infinity");
        AssertInvalid(() => new RateLimiterSpec(1.0, 1, double.NegativeInfinity, double.NegativeInfinity), "max_diff", "-Infinity");
        AssertInvalid(() => new RateLimiterSpec(1.0, 1, 3.0, 2.0), "min_diff (3) must be <= max_diff (2)", "3");
    }

    [TestMethod]
    public void RawSpec_AcceptsInfiniteBoundsAndEqualBounds()
    {
        _ = new RateLimiterSpec(1.0, 1, double.NegativeInfinity, double.PositiveInfinity);
        _ = new RateLimiterSpec(0.25, 100, 2.0, 2.0);
    }

    [TestMethod]
    public void WithExpression_BypassesConstructor_ButValidateAndRateLimiterCatchIt()
    {
        RateLimiterSpec bad = RateLimiterSpec.Queue(3) with { MinDiff = 10.0 };
        AssertInvalid(() => bad.Validate(), "min_diff", "10");
        AssertInvalid(() => new RateLimiter(bad), "min_diff", "10");
    }

    private static void AssertInvalid(Func<object> action, string name, string value)
    {
        GearException e = Assert.ThrowsExactly<GearException>(() => action());
        Assert.AreEqual(GearErrorCode.InvalidArgument, e.Code, e.Message);
        StringAssert.Contains(e.Message, name);
        StringAssert.Contains(e.Message, value);
    }
}
