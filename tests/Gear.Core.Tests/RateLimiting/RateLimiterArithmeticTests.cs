using Gear.Core.Errors;
using Gear.Core.RateLimiting;

namespace Gear.Core.Tests.RateLimiting;

/// <summary>
/// Step-by-step checks of Reverb's formulas, every expected value worked out by hand:
/// CanSample(n) ⇔ inserts − deletes ≥ min_size ∧ inserts·spi − samples − n ≥ min_diff;
/// CanInsert(n) ⇔ inserts + n − deletes ≤ min_size ∨ (inserts + n)·spi − samples ≤ max_diff.
/// </summary>
[TestClass]
public sealed class RateLimiterArithmeticTests
{
    [TestMethod]
    public void MinSize_BlocksSamplesUntilMinSize_AndNeverLimitsOtherwise()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.MinSize(3));
        ExpectSample(limiter, 1, false);   // size 0 < 3
        Insert(limiter, 2);
        ExpectSample(limiter, 1, false);   // size 2 < 3
        Insert(limiter, 1);
        ExpectSample(limiter, 1, true);    // size 3
        ExpectSample(limiter, 1000, true); // diff 3 - 0 - 1000 >= -max
        Delete(limiter, 1);
        ExpectSample(limiter, 1, false);   // size 2 again
        Insert(limiter, 1);
        Sample(limiter, 500);
        ExpectSample(limiter, 500, true);
        Insert(limiter, 10_000);
        ExpectInsert(limiter, int.MaxValue, true);
        AssertCounters(limiter, inserts: 10_004, samples: 500, deletes: 1);
    }

    [TestMethod]
    public void SampleToInsertRatio_FollowsReverbsFormulas()
    {
        // spi 2, min_size 3, error_buffer 4 → min_diff 6 - 4 = 2, max_diff 6 + 4 = 10.
        using var limiter = new RateLimiter(RateLimiterSpec.SampleToInsertRatio(2.0, 3, 4.0));

        // (0,0,0)
        ExpectInsert(limiter, 3, true);    // 0 + 3 - 0 <= 3
        ExpectInsert(limiter, 5, true);    // 5 > 3 but 5·2 - 0 = 10 <= 10
        ExpectInsert(limiter, 6, false);   // 12 > 10
        ExpectSample(limiter, 1, false);   // size 0 < 3
        Insert(limiter, 2);
        ExpectSample(limiter, 1, false);   // size 2 < 3
        Insert(limiter, 1);

        // (3,0,0): diff 6
        ExpectSample(limiter, 4, true);    // 6 - 4 = 2 >= 2
        ExpectSample(limiter, 5, false);   // 6 - 5 = 1 < 2
        ExpectInsert(limiter, 1, true);    // 4·2 = 8 <= 10
        ExpectInsert(limiter, 2, true);    // 5·2 = 10 <= 10
        ExpectInsert(limiter, 3, false);   // 6·2 = 12 > 10
        Insert(limiter, 2);

        // (5,0,0): diff 10
        ExpectInsert(limiter, 1, false);   // 6 > 3 and 12 > 10: blocked by max_diff
        ExpectSample(limiter, 8, true);    // 10 - 8 = 2
        ExpectSample(limiter, 9, false);   // 10 - 9 = 1 < 2
        Sample(limiter, 2);

        // (5,2,0): diff 8
        ExpectInsert(limiter, 1, true);    // 12 - 2 = 10 <= 10
        ExpectInsert(limiter, 2, false);   // 14 - 2 = 12 > 10
        ExpectSample(limiter, 6, true);    // 10 - 2 - 6 = 2
        ExpectSample(limiter, 7, false);
        AssertCounters(limiter, inserts: 5, samples: 2, deletes: 0);
    }

    [TestMethod]
    public void SampleToInsertRatio_DeletesReopenTheFreeInsertWindow_AndReblockSamples()
    {
        // min_diff 2, max_diff 10 as above.
        using var limiter = new RateLimiter(RateLimiterSpec.SampleToInsertRatio(2.0, 3, 4.0));
        Insert(limiter, 5);                // (5,0,0): diff 10
        ExpectInsert(limiter, 1, false);
        Delete(limiter, 1);                // (5,0,1): 5 + 1 - 1 = 5 > 3, 12 > 10: still blocked
        ExpectInsert(limiter, 1, false);
        ExpectSample(limiter, 1, true);    // size 4 >= 3, 10 - 1 >= 2
        Delete(limiter, 2);                // (5,0,3): 5 + 1 - 3 = 3 <= 3: the delete unblocks the insert
        ExpectInsert(limiter, 1, true);
        ExpectInsert(limiter, 2, false);   // 5 + 2 - 3 = 4 > 3, 14 > 10
        ExpectSample(limiter, 1, false);   // size 2 < 3 although diff 10 is large
        Insert(limiter, 1);                // (6,0,3): diff 12, above max_diff through the free window (as in Reverb)
        AssertCounters(limiter, inserts: 6, samples: 0, deletes: 3);
        ExpectSample(limiter, 10, true);   // size 3, 12 - 10 = 2
        ExpectInsert(limiter, 1, false);   // 7 - 3 = 4 > 3, 14 > 10
    }

    [TestMethod]
    public void SampleToInsertRatio_RangeForm_FractionalSamplesPerInsert()
    {
        // spi 0.5, min_size 2, min_diff 0, max_diff 1.5: a raw spec (SampleToInsertRatio would refuse a range of
        // 1.5 < 2·max(1, spi)).
        using var limiter = new RateLimiter(new RateLimiterSpec(0.5, 2, 0.0, 1.5));
        ExpectInsert(limiter, 2, true);    // 2 <= 2
        ExpectInsert(limiter, 3, true);    // 3 > 2, 3·0.5 = 1.5 <= 1.5
        ExpectInsert(limiter, 4, false);   // 2 > 1.5
        Insert(limiter, 3);
        ExpectSample(limiter, 1, true);    // 1.5 - 1 = 0.5 >= 0
        ExpectSample(limiter, 2, false);   // -0.5
        ExpectInsert(limiter, 1, false);   // 4 > 2, 2 > 1.5
        Sample(limiter, 1);                // (3,1,0)
        ExpectInsert(limiter, 1, true);    // 2 - 1 = 1 <= 1.5
        ExpectInsert(limiter, 2, true);    // 2.5 - 1 = 1.5
        ExpectInsert(limiter, 3, false);   // 3 - 1 = 2
        ExpectSample(limiter, 1, false);   // 1.5 - 1 - 1 < 0
        Insert(limiter, 2);                // (5,1,0): diff 1.5
        ExpectSample(limiter, 1, true);
    }

    [TestMethod]
    public void Queue_WithSampleAndDeletePairs_BehavesAsABoundedQueue()
    {
        // Queue(2): spi 1, min_size 1, min_diff 0, max_diff 2; the table deletes every sampled item.
        using var limiter = new RateLimiter(RateLimiterSpec.Queue(2));
        ExpectSample(limiter, 1, false);   // empty
        ExpectInsert(limiter, 1, true);    // 1 <= 1
        ExpectInsert(limiter, 2, true);    // 2 > 1, 2 - 0 <= 2
        ExpectInsert(limiter, 3, false);   // 3 > 2
        Insert(limiter, 1);
        ExpectSample(limiter, 1, true);    // 1 - 0 - 1 = 0 >= 0
        ExpectSample(limiter, 2, false);
        Insert(limiter, 1);                // (2,0,0): full
        ExpectInsert(limiter, 1, false);
        Sample(limiter, 1);
        Delete(limiter, 1);                // (2,1,1)
        ExpectInsert(limiter, 1, true);    // 2 > 1, 3 - 1 = 2 <= 2
        ExpectInsert(limiter, 2, false);
        Sample(limiter, 1);
        Delete(limiter, 1);                // (2,2,2): empty again
        ExpectSample(limiter, 1, false);
        ExpectInsert(limiter, 2, true);    // 4 - 2 = 2
        ExpectInsert(limiter, 3, false);
    }

    [TestMethod]
    public void Stack_UsesTheQueueArithmetic()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.Stack(1));
        Insert(limiter, 1);
        ExpectInsert(limiter, 1, false);   // 2 - 0 > 1
        Sample(limiter, 1);
        ExpectSample(limiter, 1, false);   // 1 - 1 - 1 < 0: each item sampled once
        Delete(limiter, 1);
        ExpectInsert(limiter, 1, true);
    }

    [TestMethod]
    public void FailedTryAcquire_CountsNothing()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.Queue(1));
        Assert.IsFalse(limiter.TryAcquireSample(1));
        Insert(limiter, 1);
        Assert.IsFalse(limiter.TryAcquireInsert(1));
        Assert.IsFalse(limiter.TryAcquireSample(2));
        AssertCounters(limiter, inserts: 1, samples: 0, deletes: 0);
    }

    [TestMethod]
    public void ReturnInsertAndReturnSample_UndoTheirCounts()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.Queue(2));
        Insert(limiter, 2);
        ExpectInsert(limiter, 1, false);
        limiter.ReturnInsert(1);           // (1,0,0)
        ExpectInsert(limiter, 1, true);
        Sample(limiter, 1);                // (1,1,0)
        ExpectSample(limiter, 1, false);
        limiter.ReturnSample(1);           // (1,0,0)
        ExpectSample(limiter, 1, true);
        AssertCounters(limiter, inserts: 1, samples: 0, deletes: 0);
    }

    [TestMethod]
    public void Reset_ZeroesEveryCounter()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.Queue(2));
        Insert(limiter, 2);
        Sample(limiter, 1);
        Delete(limiter, 1);
        limiter.Reset();
        AssertCounters(limiter, inserts: 0, samples: 0, deletes: 0);
        ExpectSample(limiter, 1, false);
        ExpectInsert(limiter, 2, true);
    }

    [TestMethod]
    public void RestoredCounters_AreUsed()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.Queue(2), inserts: 5, samples: 3, deletes: 3);
        ExpectInsert(limiter, 1, false);   // 6 - 3 = 3 > 2
        ExpectSample(limiter, 2, true);    // 5 - 3 - 2 = 0
        Assert.ThrowsExactly<GearException>(() => new RateLimiter(RateLimiterSpec.Queue(2), 1, 0, 2));
    }

    [TestMethod]
    public void Snapshot_ReportsCountersAndConditions()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.Queue(1));
        Assert.AreEqual(new RateLimiterState(0, 0, 0, 0, 0, 0, true, false), limiter.Snapshot());
        Insert(limiter, 1);
        Assert.AreEqual(new RateLimiterState(1, 0, 0, 1, 0, 0, false, true), limiter.Snapshot());
        Sample(limiter, 1);
        Delete(limiter, 1);
        Assert.AreEqual(new RateLimiterState(1, 1, 1, 0, 0, 0, true, false), limiter.Snapshot());
    }

    [TestMethod]
    public void Arguments_AreValidated()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.MinSize(1));
        AssertInvalid(() => limiter.TryAcquireInsert(0), "count");
        AssertInvalid(() => limiter.TryAcquireSample(-1), "count");
        AssertInvalid(() => limiter.AcquireInsert(0, TimeSpan.Zero), "count");
        AssertInvalid(() => limiter.AcquireSampleAsync(0, TimeSpan.Zero), "count");
        AssertInvalid(() => limiter.AcquireInsertAsync(1, TimeSpan.FromMilliseconds(-5)), "timeout");
        AssertInvalid(() => limiter.AcquireSample(1, TimeSpan.FromMilliseconds(-2)), "timeout");
        AssertInvalid(() => limiter.CanSample(0), "count");
        AssertInvalid(() => limiter.RecordDelete(1), "count");   // nothing to delete
        AssertInvalid(() => limiter.ReturnInsert(1), "count");
        AssertInvalid(() => limiter.ReturnSample(1), "count");
        AssertInvalid(() => limiter.RecordDelete(0), "count");
        AssertCounters(limiter, 0, 0, 0);
    }

    private static void Insert(RateLimiter limiter, int count)
        => Assert.IsTrue(limiter.TryAcquireInsert(count), $"insert of {count} refused: {limiter}");

    private static void Sample(RateLimiter limiter, int count)
        => Assert.IsTrue(limiter.TryAcquireSample(count), $"sample of {count} refused: {limiter}");

    private static void Delete(RateLimiter limiter, int count) => limiter.RecordDelete(count);

    private static void ExpectInsert(RateLimiter limiter, int count, bool expected)
        => Assert.AreEqual(expected, limiter.CanInsert(count), $"CanInsert({count}) on {limiter}");

    private static void ExpectSample(RateLimiter limiter, int count, bool expected)
    {
        Assert.AreEqual(expected, limiter.CanSample(count), $"CanSample({count}) on {limiter}");
        if (count == 1)
        {
            Assert.AreEqual(expected, limiter.Snapshot().CanSampleOne);
        }
    }

    private static void AssertCounters(RateLimiter limiter, long inserts, long samples, long deletes)
    {
        RateLimiterState s = limiter.Snapshot();
        Assert.AreEqual((inserts, samples, deletes, inserts - deletes), (s.Inserts, s.Samples, s.Deletes, s.Size));
    }

    private static void AssertInvalid(Action action, string name)
    {
        GearException e = Assert.ThrowsExactly<GearException>(action);
        Assert.AreEqual(GearErrorCode.InvalidArgument, e.Code, e.Message);
        StringAssert.Contains(e.Message, name);
    }
}
