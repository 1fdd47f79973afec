using System.Diagnostics;
using Gear.Core.Errors;
using Gear.Core.RateLimiting;

namespace Gear.Core.Tests.RateLimiting;

[TestClass]
public sealed class RateLimiterBlockingTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(10);

    [TestMethod]
    public async Task WaitingSample_IsReleasedByAnInsertFromAnotherThread()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.MinSize(1));
        ValueTask sample = limiter.AcquireSampleAsync(1, Long);
        Assert.IsFalse(sample.IsCompleted);
        Assert.AreEqual(1, limiter.Snapshot().BlockedSamplers);

        await Task.Run(() => Assert.IsTrue(limiter.TryAcquireInsert(1)));
        await sample.AsTask().WaitAsync(Long);

        RateLimiterState s = limiter.Snapshot();
        Assert.AreEqual((1L, 1L, 0, 0), (s.Inserts, s.Samples, s.BlockedSamplers, s.BlockedInserters));
    }

    [TestMethod]
    public void SyncInsertBlockedByMaxDiff_IsReleasedByASample()
    {
        // spi 1, min_size 1, error_buffer 2 → min_diff -1, max_diff 3.
        using var limiter = new RateLimiter(RateLimiterSpec.SampleToInsertRatio(1.0, 1, 2.0));
        Assert.IsTrue(limiter.TryAcquireInsert(3));        // (3,0): diff 3
        Assert.IsFalse(limiter.CanInsert(1));              // 4 > 3

        Exception? failure = null;
        var inserter = new Thread(() =>
        {
            try
            {
                limiter.AcquireInsert(1, Long);
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        inserter.Start();
        WaitUntil(() => limiter.Snapshot().BlockedInserters == 1);
        Assert.IsTrue(inserter.IsAlive);

        Assert.IsTrue(limiter.TryAcquireSample(1));        // (3,1): 4 - 1 = 3 <= 3 → the inserter may go
        Assert.IsTrue(inserter.Join(Long));
        Assert.IsNull(failure);
        RateLimiterState s = limiter.Snapshot();
        Assert.AreEqual((4L, 1L, 0), (s.Inserts, s.Samples, s.BlockedInserters));
    }

    [TestMethod]
    public async Task BlockedInsert_IsReleasedByADelete()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.Queue(1));
        Assert.IsTrue(limiter.TryAcquireInsert(1));
        ValueTask insert = limiter.AcquireInsertAsync(1, Long);
        Assert.IsFalse(insert.IsCompleted);
        limiter.RecordDelete(1);                           // 1 + 1 - 1 <= 1: free again
        await insert.AsTask().WaitAsync(Long);
        Assert.AreEqual(2L, limiter.Snapshot().Inserts);
    }

    [TestMethod]
    public async Task BlockedInsert_IsFailedByReset_AndSampleReleasedByReturn()
    {
        // A reset fails a waiting insert (what it would insert belonged to the table before the reset) and
        // leaves the counters at zero; see ResetFailsWaitingInsertsAndStaleEpochsButKeepsSamplersWaiting.
        using var limiter = new RateLimiter(RateLimiterSpec.Queue(1));
        Assert.IsTrue(limiter.TryAcquireInsert(1));
        ValueTask insert = limiter.AcquireInsertAsync(1, Long);
        limiter.Reset();
        GearException failed = await Assert.ThrowsExceptionAsync<GearException>(() => insert.AsTask().WaitAsync(Long));
        Assert.AreEqual(GearErrorCode.FailedPrecondition, failed.Code);
        Assert.AreEqual(new RateLimiterState(0, 0, 0, 0, 0, 0, true, false), limiter.Snapshot());
        Assert.IsTrue(limiter.TryAcquireInsert(1));

        Assert.IsTrue(limiter.TryAcquireSample(1));
        ValueTask sample = limiter.AcquireSampleAsync(1, Long);
        Assert.IsFalse(sample.IsCompleted);
        limiter.ReturnSample(1);                           // the first sample went unused
        await sample.AsTask().WaitAsync(Long);
        Assert.AreEqual(1L, limiter.Snapshot().Samples);
    }

    [TestMethod]
    public async Task Timeout_ThrowsDeadlineExceeded_AfterRoughlyTheTimeout_AndCountsNothing()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.MinSize(10));
        Assert.IsTrue(limiter.TryAcquireInsert(3));
        var watch = Stopwatch.StartNew();
        GearException e = await Assert.ThrowsExactlyAsync<GearException>(
            async () => await limiter.AcquireSampleAsync(8, TimeSpan.FromMilliseconds(60)));
        watch.Stop();

        Assert.AreEqual(GearErrorCode.DeadlineExceeded, e.Code);
        StringAssert.Contains(e.Message, "sample of 8 blocked by the rate limiter for 60 ms");
        StringAssert.Contains(e.Message, "3 items, min_size_to_sample 10");
        Assert.IsTrue(watch.Elapsed >= TimeSpan.FromMilliseconds(50), $"timed out after {watch.Elapsed}");
        Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(3), $"timed out after {watch.Elapsed}");
        Assert.AreEqual(new RateLimiterState(3, 0, 0, 3, 0, 0, true, false), limiter.Snapshot());
    }

    [TestMethod]
    public void SyncTimeout_ThrowsDeadlineExceeded_NamingMaxDiff()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.Queue(2));
        Assert.IsTrue(limiter.TryAcquireInsert(2));
        var watch = Stopwatch.StartNew();
        GearException e = Assert.ThrowsExactly<GearException>(() => limiter.AcquireInsert(1, TimeSpan.FromMilliseconds(40)));
        Assert.AreEqual(GearErrorCode.DeadlineExceeded, e.Code);
        Assert.IsTrue(watch.Elapsed >= TimeSpan.FromMilliseconds(30), $"timed out after {watch.Elapsed}");
        StringAssert.Contains(e.Message, "insert of 1 blocked by the rate limiter for 40 ms");
        StringAssert.Contains(e.Message, "max_diff 2");
        Assert.AreEqual(2L, limiter.Snapshot().Inserts);
        Assert.AreEqual(0, limiter.Snapshot().BlockedInserters);
    }

    [TestMethod]
    public async Task ZeroTimeout_TriesOnce()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.MinSize(1));
        ValueTask refused = limiter.AcquireSampleAsync(1, TimeSpan.Zero);
        Assert.IsTrue(refused.IsFaulted);
        GearException e = await Assert.ThrowsExactlyAsync<GearException>(async () => await refused);
        Assert.AreEqual(GearErrorCode.DeadlineExceeded, e.Code);
        Assert.AreEqual(GearErrorCode.DeadlineExceeded,
            Assert.ThrowsExactly<GearException>(() => limiter.AcquireSample(1, TimeSpan.Zero)).Code);

        ValueTask accepted = limiter.AcquireInsertAsync(1, TimeSpan.Zero);
        Assert.IsTrue(accepted.IsCompletedSuccessfully);
        limiter.AcquireSample(1, TimeSpan.Zero);
        Assert.AreEqual(new RateLimiterState(1, 1, 0, 1, 0, 0, true, true), limiter.Snapshot());
    }

    [TestMethod]
    public async Task Cancellation_ThrowsOperationCanceled_AndCountsNothing()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.MinSize(1));
        using var cts = new CancellationTokenSource();
        ValueTask sample = limiter.AcquireSampleAsync(2, Long, cts.Token);
        Assert.AreEqual(1, limiter.Snapshot().BlockedSamplers);
        cts.CancelAfter(20);
        await Assert.ThrowsAsync<OperationCanceledException>(async () => await sample);
        Assert.AreEqual(new RateLimiterState(0, 0, 0, 0, 0, 0, true, false), limiter.Snapshot());

        // After cancellation the limiter works as before.
        Assert.IsTrue(limiter.TryAcquireInsert(1));
        Assert.IsTrue(limiter.TryAcquireSample(2));
    }

    [TestMethod]
    public void SyncCancellation_AndPreCancelledToken()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.Queue(1));
        Assert.IsTrue(limiter.TryAcquireInsert(1));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(20));
        Assert.Throws<OperationCanceledException>(() => limiter.AcquireInsert(1, Timeout.InfiniteTimeSpan, cts.Token));
        Assert.IsTrue(limiter.AcquireSampleAsync(1, Long, cts.Token).IsCanceled);   // already cancelled: not taken
        Assert.Throws<OperationCanceledException>(() => limiter.AcquireSample(1, Long, cts.Token));
        Assert.AreEqual(new RateLimiterState(1, 0, 0, 1, 0, 0, false, true), limiter.Snapshot());
    }

    [TestMethod]
    public async Task Close_FailsWaitersAndLaterAcquisitions_WithUnavailable()
    {
        var limiter = new RateLimiter(RateLimiterSpec.Queue(1));
        Assert.IsTrue(limiter.TryAcquireInsert(1));
        ValueTask asyncInsert = limiter.AcquireInsertAsync(1, Timeout.InfiniteTimeSpan);
        Exception? syncFailure = null;
        var thread = new Thread(() =>
        {
            try
            {
                limiter.AcquireInsert(1, Timeout.InfiniteTimeSpan);
            }
            catch (Exception e)
            {
                syncFailure = e;
            }
        });
        thread.Start();
        WaitUntil(() => limiter.Snapshot().BlockedInserters == 2);

        limiter.Close();
        GearException e1 = await Assert.ThrowsExactlyAsync<GearException>(async () => await asyncInsert);
        Assert.AreEqual(GearErrorCode.Unavailable, e1.Code);
        StringAssert.Contains(e1.Message, "table closed");
        Assert.IsTrue(thread.Join(Long));
        Assert.IsInstanceOfType(syncFailure, typeof(GearException));
        Assert.AreEqual(GearErrorCode.Unavailable, ((GearException)syncFailure).Code);

        Assert.AreEqual(GearErrorCode.Unavailable,
            (await Assert.ThrowsExactlyAsync<GearException>(async () => await limiter.AcquireSampleAsync(1, Long))).Code);
        Assert.AreEqual(GearErrorCode.Unavailable,
            Assert.ThrowsExactly<GearException>(() => limiter.AcquireSample(1, Long)).Code);
        Assert.AreEqual(GearErrorCode.Unavailable,
            Assert.ThrowsExactly<GearException>(() => limiter.TryAcquireSample(1)).Code);
        Assert.IsTrue(limiter.IsClosed);
        limiter.Dispose();   // idempotent
        Assert.AreEqual(new RateLimiterState(1, 0, 0, 1, 0, 0, false, true), limiter.Snapshot());
    }

    [TestMethod]
    public async Task Waiters_AreServedFifo_AndNewcomersDoNotJumpTheQueue()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.Queue(10));
        ValueTask big = limiter.AcquireSampleAsync(3, Long);
        ValueTask small = limiter.AcquireSampleAsync(1, Long);

        Assert.IsTrue(limiter.TryAcquireInsert(1));
        // One sample could pass on its own, but the batch of 3 is first in line.
        Assert.IsTrue(limiter.CanSample(1));
        Assert.IsFalse(limiter.TryAcquireSample(1));
        Assert.IsFalse(big.IsCompleted);
        Assert.IsFalse(small.IsCompleted);

        Assert.IsTrue(limiter.TryAcquireInsert(2));       // (3,0): the batch of 3 takes all three
        await big.AsTask().WaitAsync(Long);
        Assert.IsFalse(small.IsCompleted);                // 3 - 3 - 1 < 0
        Assert.AreEqual(3L, limiter.Snapshot().Samples);

        Assert.IsTrue(limiter.TryAcquireInsert(1));
        await small.AsTask().WaitAsync(Long);
        Assert.AreEqual(new RateLimiterState(4, 4, 0, 4, 0, 0, true, false), limiter.Snapshot());
    }

    [TestMethod]
    public async Task Inserters_AreServedFifo_AndNewcomersDoNotJumpTheQueue()
    {
        // Queue(3): max_diff 3 with spi 1.
        using var limiter = new RateLimiter(RateLimiterSpec.Queue(3));
        Assert.IsTrue(limiter.TryAcquireInsert(3));       // (3,0): full
        ValueTask pair = limiter.AcquireInsertAsync(2, Long);
        ValueTask single = limiter.AcquireInsertAsync(1, Long);

        Assert.IsTrue(limiter.TryAcquireSample(1));       // (3,1): one insert fits (4 - 1 = 3), two do not
        Assert.IsTrue(limiter.CanInsert(1));
        Assert.IsFalse(limiter.TryAcquireInsert(1));      // but the pair is first in line
        Assert.IsFalse(pair.IsCompleted);
        Assert.IsFalse(single.IsCompleted);

        Assert.IsTrue(limiter.TryAcquireSample(1));       // (3,2): 5 - 2 = 3 → the pair goes, then 6 - 2 > 3
        await pair.AsTask().WaitAsync(Long);
        Assert.IsFalse(single.IsCompleted);
        Assert.IsTrue(limiter.TryAcquireSample(1));       // (5,3): 6 - 3 = 3 → the single goes
        await single.AsTask().WaitAsync(Long);
        Assert.AreEqual(new RateLimiterState(6, 3, 0, 6, 0, 0, false, true), limiter.Snapshot());
    }

    [TestMethod]
    public async Task HeadTimingOut_ReleasesTheWaitersBehindIt()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.Queue(10));
        ValueTask big = limiter.AcquireSampleAsync(5, TimeSpan.FromMilliseconds(40));
        ValueTask small = limiter.AcquireSampleAsync(1, Long);
        Assert.IsTrue(limiter.TryAcquireInsert(1));
        Assert.IsFalse(small.IsCompleted);

        GearException e = await Assert.ThrowsExactlyAsync<GearException>(async () => await big);
        Assert.AreEqual(GearErrorCode.DeadlineExceeded, e.Code);
        StringAssert.Contains(e.Message, "min_diff 0");
        await small.AsTask().WaitAsync(Long);
        Assert.AreEqual((1L, 1L), (limiter.Snapshot().Inserts, limiter.Snapshot().Samples));
    }

    [TestMethod]
    public async Task SamplesGrantedInOneStateChange_AlsoReleaseTheInsertersTheyUnblock()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.Queue(2));
        Assert.IsTrue(limiter.TryAcquireInsert(2));                           // (2,0): diff 2 = max_diff
        ValueTask insert = limiter.AcquireInsertAsync(1, Long);               // 3 > 2
        ValueTask head = limiter.AcquireSampleAsync(5, TimeSpan.FromMilliseconds(30));   // 2 - 5 < 0
        ValueTask behind = limiter.AcquireSampleAsync(1, Long);               // could pass, but queued behind
        Assert.IsFalse(insert.IsCompleted || behind.IsCompleted);

        // The head's timeout is the only state change: it must grant `behind`, and that sample (3 - 1 = 2) the insert.
        await Assert.ThrowsExactlyAsync<GearException>(async () => await head);
        await behind.AsTask().WaitAsync(Long);
        await insert.AsTask().WaitAsync(Long);
        Assert.AreEqual(new RateLimiterState(3, 1, 0, 3, 0, 0, false, true), limiter.Snapshot());
    }

    [TestMethod]
    public async Task OneInsert_ReleasesEverySamplerItAllows()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.MinSize(2));
        Assert.IsTrue(limiter.TryAcquireInsert(1));
        ValueTask[] samplers = [limiter.AcquireSampleAsync(1, Long), limiter.AcquireSampleAsync(4, Long), limiter.AcquireSampleAsync(2, Long)];
        Assert.AreEqual(3, limiter.Snapshot().BlockedSamplers);
        Assert.IsTrue(limiter.TryAcquireInsert(1));       // size 2: MinSize never limits by diff → all three go
        foreach (ValueTask sampler in samplers)
        {
            await sampler.AsTask().WaitAsync(Long);
        }

        Assert.AreEqual(new RateLimiterState(2, 7, 0, 2, 0, 0, true, true), limiter.Snapshot());
    }

    [TestMethod]
    public async Task Samples_ReleaseAWaitingInserter()
    {
        // spi 2, min_size 1, range (-10, 4).
        using var limiter = new RateLimiter(RateLimiterSpec.SampleToInsertRatio(2.0, 1, (-10.0, 4.0)));
        Assert.IsTrue(limiter.TryAcquireInsert(2));       // (2,0): diff 4
        ValueTask insert = limiter.AcquireInsertAsync(1, Long);   // 6 > 4: waits
        ValueTask s1 = limiter.AcquireSampleAsync(1, Long);
        // The sample queue was empty so s1 went straight through: (2,1), diff 3 → still 6 - 1 = 5 > 4.
        Assert.IsTrue(s1.IsCompletedSuccessfully);
        Assert.IsFalse(insert.IsCompleted);
        ValueTask s2 = limiter.AcquireSampleAsync(1, Long);        // (2,2): 6 - 2 = 4 → the insert is granted
        Assert.IsTrue(s2.IsCompletedSuccessfully);
        await insert.AsTask().WaitAsync(Long);
        Assert.AreEqual((3L, 2L), (limiter.Snapshot().Inserts, limiter.Snapshot().Samples));
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > Long)
            {
                Assert.Fail("condition not reached within 10 s");
            }

            Thread.Sleep(1);
        }
    }

    [TestMethod]
    public async Task ResetFailsWaitingInsertsAndStaleEpochsButKeepsSamplersWaiting()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.Queue(1));
        limiter.AcquireInsert(1, TimeSpan.Zero);
        var epoch = limiter.Resets;
        var blockedInsert = limiter.AcquireInsertAsync(1, epoch, TimeSpan.FromSeconds(10)).AsTask();
        Assert.IsFalse(blockedInsert.IsCompleted, "a full queue blocks the second insert");

        limiter.Reset();
        var error = await Assert.ThrowsExceptionAsync<GearException>(() => blockedInsert);
        Assert.AreEqual(GearErrorCode.FailedPrecondition, error.Code);
        StringAssert.Contains(error.Message, "reset");
        Assert.AreEqual(0, limiter.Snapshot().Inserts, "nothing counted for the failed insert");

        // An insert prepared before the reset never counts after it.
        Assert.AreEqual(GearErrorCode.FailedPrecondition,
            Assert.ThrowsException<GearException>(() => limiter.AcquireInsert(1, epoch, TimeSpan.FromSeconds(1))).Code);

        // Samplers are not failed by a reset: they wait for the next insert.
        var sample = limiter.AcquireSampleAsync(1, TimeSpan.FromSeconds(10)).AsTask();
        limiter.Reset();
        Assert.IsFalse(sample.IsCompleted);
        limiter.AcquireInsert(1, limiter.Resets, TimeSpan.Zero);
        await sample;
        Assert.AreEqual(new RateLimiterState(1, 1, 0, 1, 0, 0, true, false), limiter.Snapshot());
    }
}
