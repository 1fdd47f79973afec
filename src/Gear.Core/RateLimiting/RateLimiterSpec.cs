using System.Globalization;
using Gear.Core.Errors;

namespace Gear.Core.RateLimiting;

/// <summary>
/// The parameters of a table's rate limiter, with Reverb's semantics (reverb/cc/rate_limiter.cc,
/// <c>RateLimiter::CanSample</c> / <c>CanInsert</c>). With <c>inserts</c>, <c>samples</c> and <c>deletes</c> the
/// limiter's running counters and <c>size = inserts − deletes</c>:
/// <list type="bullet">
/// <item><description>
/// <b>n samples</b> may proceed iff <c>size ≥ MinSizeToSample</c> and
/// <c>inserts × SamplesPerInsert − samples − n ≥ MinDiff</c> (the diff <i>after</i> the samples stays at or above
/// <see cref="MinDiff"/>).
/// </description></item>
/// <item><description>
/// <b>n inserts</b> may proceed iff <c>inserts + n − deletes ≤ MinSizeToSample</c> (until the table reaches its
/// minimum size inserts are free), or else <c>(inserts + n) × SamplesPerInsert − samples ≤ MaxDiff</c> (the diff
/// <i>after</i> the inserts stays at or below <see cref="MaxDiff"/>).
/// </description></item>
/// </list>
/// Deletes enter only through <c>size</c>: they re-block samples when the table drops below the minimum size and
/// re-open the free insert window, but they never change the diff.
/// </summary>
/// <remarks>
/// Constructing a spec validates it (<see cref="Validate"/>): a spec that exists was valid when it was built.
/// A <c>with</c> expression bypasses the constructor, so <see cref="RateLimiter"/> validates again.
/// Reverb's C++ limiter only checks <c>min_size_to_sample &gt; 0</c>; Gear also rejects values that cannot mean
/// anything (NaN, non-positive or infinite samples_per_insert, min_diff &gt; max_diff, a min_diff of +∞ that blocks
/// every sample, a max_diff of −∞).
/// </remarks>
/// <param name="SamplesPerInsert">How many samples each insert pays for (Reverb's <c>samples_per_insert</c>); &gt; 0 and finite.</param>
/// <param name="MinSizeToSample">Items the table must hold before any sample (Reverb's <c>min_size_to_sample</c>); ≥ 1.</param>
/// <param name="MinDiff">Lowest allowed <c>inserts × SamplesPerInsert − samples</c> (Reverb's <c>min_diff</c>); may be −∞.</param>
/// <param name="MaxDiff">Highest allowed <c>inserts × SamplesPerInsert − samples</c> (Reverb's <c>max_diff</c>); may be +∞.</param>
public sealed partial record RateLimiterSpec(double SamplesPerInsert, long MinSizeToSample, double MinDiff, double MaxDiff)
{
    // Runs as part of the primary constructor, so every `new RateLimiterSpec(...)` is validated.
    private readonly bool _validated = Check(SamplesPerInsert, MinSizeToSample, MinDiff, MaxDiff);

    /// <summary>
    /// Checks the spec and returns it; throws <see cref="GearException"/> with code
    /// <see cref="GearErrorCode.InvalidArgument"/> naming the field and its value otherwise. Needed only for specs
    /// made with a <c>with</c> expression, which skips the constructor's check.
    /// </summary>
    public RateLimiterSpec Validate()
    {
        _ = _validated;
        Check(SamplesPerInsert, MinSizeToSample, MinDiff, MaxDiff);
        return this;
    }

    private static bool Check(double samplesPerInsert, long minSizeToSample, double minDiff, double maxDiff)
    {
        if (!double.IsFinite(samplesPerInsert) || samplesPerInsert <= 0)
        {
            throw GearException.InvalidArgument(
                $"rate limiter samples_per_insert must be a finite number > 0, got {Format(samplesPerInsert)}");
        }

        if (minSizeToSample < 1)
        {
            throw GearException.InvalidArgument(
                $"rate limiter min_size_to_sample must be >= 1, got {minSizeToSample}");
        }

        if (double.IsNaN(minDiff) || double.IsPositiveInfinity(minDiff))
        {
            throw GearException.InvalidArgument(
                $"rate limiter min_diff must be a number below +infinity, got {Format(minDiff)}");
        }

        if (double.IsNaN(maxDiff) || double.IsNegativeInfinity(maxDiff))
        {
            throw GearException.InvalidArgument(
                $"rate limiter max_diff must be a number above -infinity, got {Format(maxDiff)}");
        }

        if (minDiff > maxDiff)
        {
            throw GearException.InvalidArgument(
                $"rate limiter min_diff ({Format(minDiff)}) must be <= max_diff ({Format(maxDiff)})");
        }

        return true;
    }

    internal static string Format(double value) => value switch
    {
        double.MaxValue => "max",
        -double.MaxValue => "-max",
        _ => value.ToString("G", CultureInfo.InvariantCulture),
    };
}
