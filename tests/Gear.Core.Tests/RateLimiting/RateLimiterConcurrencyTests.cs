using System.Collections.Concurrent;
using System.Diagnostics;
using Gear.Core.Errors;
using Gear.Core.RateLimiting;

namespace Gear.Core.Tests.RateLimiting;

[TestClass]
public sealed class RateLimiterConcurrencyTests
{
    /// <summary>
    /// Several inserting and sampling threads (sync and async, some with cancellation) against
    /// SampleToInsertRatio(spi 2, min_size 10, error_buffer 6): min_diff 14, max_diff 26. With no deletes, Reverb's
    /// rules bound diff = inserts·2 − samples exactly, with no slack, in every state the lock ever exposes:
    /// inserts only pass while inserts ≤ 10 (diff ≤ 20) or the diff they leave is ≤ 26, so diff ≤ 26 always;
    /// a sample only passes if the diff it leaves is ≥ 14 and inserts only raise the diff, so once any sample has
    /// been taken diff ≥ 14.
    /// </summary>
    [TestMethod]
    public void Stress_RatioStaysWithinReverbsBounds_NothingIsLost_NothingDeadlocks()
    {
        const double Spi = 2.0;
        const double MinDiff = 14.0;
        const double MaxDiff = 26.0;
        using var limiter = new RateLimiter(RateLimiterSpec.SampleToInsertRatio(Spi, 10, 6.0));
        Assert.AreEqual((MinDiff, MaxDiff), (limiter.Spec.MinDiff, limiter.Spec.MaxDiff));

        var violations = new ConcurrentQueue<string>();
        var errors = new ConcurrentQueue<Exception>();
        long inserted = 0, sampled = 0, timeouts = 0, cancellations = 0;
        var run = Stopwatch.StartNew();
        TimeSpan duration = TimeSpan.FromMilliseconds(700);
        TimeSpan wait = TimeSpan.FromMilliseconds(15);

        void Check()
        {
            RateLimiterState s = limiter.Snapshot();
            double diff = s.Inserts * Spi - s.Samples;
            if (diff > MaxDiff || (s.Samples > 0 && diff < MinDiff) || s.Deletes != 0 || s.Size != s.Inserts)
            {
                violations.Enqueue($"inserts {s.Inserts}, samples {s.Samples}: diff {diff}");
            }
        }

        void SyncWorker(bool insert, int seed)
        {
            var rng = new Random(seed);
            try
            {
                while (run.Elapsed < duration)
                {
                    int count = rng.Next(1, 4);
                    try
                    {
                        if (rng.Next(4) == 0)
                        {
                            if (!(insert ? limiter.TryAcquireInsert(count) : limiter.TryAcquireSample(count)))
                            {
                                Thread.Yield();
                                continue;
                            }
                        }
                        else if (insert)
                        {
                            limiter.AcquireInsert(count, wait);
                        }
                        else
                        {
                            limiter.AcquireSample(count, wait);
                        }
                    }
                    catch (GearException e) when (e.Code == GearErrorCode.DeadlineExceeded)
                    {
                        Interlocked.Increment(ref timeouts);
                        continue;
                    }

                    Interlocked.Add(ref insert ? ref inserted : ref sampled, count);
                    Check();
                }
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
        }

        async Task AsyncWorker(bool insert, int seed)
        {
            var rng = new Random(seed);
            try
            {
                while (run.Elapsed < duration)
                {
                    int count = rng.Next(1, 4);
                    using var cts = rng.Next(3) == 0 ? new CancellationTokenSource(rng.Next(0, 3)) : null;
                    try
                    {
                        ValueTask acquisition = insert
                            ? limiter.AcquireInsertAsync(count, wait, cts?.Token ?? default)
                            : limiter.AcquireSampleAsync(count, wait, cts?.Token ?? default);
                        await acquisition;
                    }
                    catch (GearException e) when (e.Code == GearErrorCode.DeadlineExceeded)
                    {
                        Interlocked.Increment(ref timeouts);
                        continue;
                    }
                    catch (OperationCanceledException) when (cts is not null)
                    {
                        Interlocked.Increment(ref cancellations);
                        continue;
                    }

                    Interlocked.Add(ref insert ? ref inserted : ref sampled, count);
                    Check();
                }
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
        }

        var threads = new List<Thread>();
        for (int i = 0; i < 4; i++)
        {
            bool insert = i % 2 == 0;
            int seed = 1000 + i;
            threads.Add(new Thread(() => SyncWorker(insert, seed)) { IsBackground = true });
        }

        threads.ForEach(t => t.Start());
        Task[] tasks = [Task.Run(() => AsyncWorker(true, 7)), Task.Run(() => AsyncWorker(false, 8)), Task.Run(() => AsyncWorker(false, 9))];

        foreach (Thread thread in threads)
        {
            Assert.IsTrue(thread.Join(TimeSpan.FromSeconds(15)), "a worker thread did not finish: deadlock?");
        }

        Assert.IsTrue(Task.WaitAll(tasks, TimeSpan.FromSeconds(15)), "an async worker did not finish: deadlock?");
        Assert.IsTrue(errors.IsEmpty, string.Join("\n", errors));
        Assert.IsTrue(violations.IsEmpty, $"{violations.Count} states outside [{MinDiff}, {MaxDiff}], e.g. {violations.FirstOrDefault()}");

        RateLimiterState final = limiter.Snapshot();
        Assert.AreEqual(inserted, final.Inserts, "inserts lost or invented");
        Assert.AreEqual(sampled, final.Samples, "samples lost or invented");
        Assert.AreEqual((0, 0), (final.BlockedInserters, final.BlockedSamplers));
        Assert.IsTrue(sampled > 100 && inserted > 100, $"too little progress: {inserted} inserts, {sampled} samples");
        Console.WriteLine($"{inserted} inserts, {sampled} samples, {timeouts} timeouts, {cancellations} cancellations");
    }

    [TestMethod]
    public void FastPath_AllocatesNothing()
    {
        using var limiter = new RateLimiter(RateLimiterSpec.MinSize(1));
        using var cts = new CancellationTokenSource();
        CancellationToken token = cts.Token;

        void Round()
        {
            if (!limiter.TryAcquireInsert(2) || !limiter.TryAcquireSample(1))
            {
                throw new InvalidOperationException("refused");
            }

            ValueTask sample = limiter.AcquireSampleAsync(3, Timeout.InfiniteTimeSpan, token);
            ValueTask insert = limiter.AcquireInsertAsync(1, TimeSpan.FromSeconds(1));
            if (!sample.IsCompletedSuccessfully || !insert.IsCompletedSuccessfully)
            {
                throw new InvalidOperationException("not completed");
            }

            sample.GetAwaiter().GetResult();
            insert.GetAwaiter().GetResult();
            limiter.AcquireInsert(1, Timeout.InfiniteTimeSpan, token);
            limiter.AcquireSample(1, TimeSpan.Zero);
            limiter.RecordDelete(1);
            limiter.ReturnSample(1);
            _ = limiter.Snapshot();
        }

        for (int i = 0; i < 1000; i++)
        {
            Round();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            Round();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.AreEqual(0L, allocated, "bytes allocated by 10,000 fast-path rounds");
        Assert.AreEqual(11_000L * 4, limiter.Snapshot().Inserts);
    }
}
