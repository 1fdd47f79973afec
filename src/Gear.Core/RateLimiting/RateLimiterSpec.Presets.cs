using Gear.Core.Errors;

namespace Gear.Core.RateLimiting;

/// <summary>Reverb's rate limiter presets (reverb/rate_limiters.py), with the same parameters and checks.</summary>
public sealed partial record RateLimiterSpec
{
    /// <summary>
    /// Reverb's <c>MinSize</c>: blocks samples while the table holds fewer than
    /// <paramref name="minSizeToSample"/> items and never limits otherwise. samples_per_insert = 1,
    /// min_diff = −double.MaxValue, max_diff = +double.MaxValue (as Reverb's <c>-sys.float_info.max</c> /
    /// <c>sys.float_info.max</c>).
    /// </summary>
    /// <exception cref="GearException">InvalidArgument when <paramref name="minSizeToSample"/> &lt; 1.</exception>
    public static RateLimiterSpec MinSize(long minSizeToSample)
    {
        RequireMinSize(minSizeToSample);
        return new RateLimiterSpec(1.0, minSizeToSample, -double.MaxValue, double.MaxValue);
    }

    /// <summary>
    /// Reverb's <c>SampleToInsertRatio</c> with a single <c>error_buffer</c>: keeps
    /// <c>inserts × samplesPerInsert − samples</c> within
    /// <c>[samplesPerInsert × minSizeToSample − errorBuffer, samplesPerInsert × minSizeToSample + errorBuffer]</c>.
    /// The offset <c>samplesPerInsert × minSizeToSample</c> makes the buffer measure only the error accrued after the
    /// table first reached its minimum size (while it is smaller, inserts are free and samples blocked).
    /// </summary>
    /// <exception cref="GearException">
    /// InvalidArgument when samples_per_insert is not finite and &gt; 0, min_size_to_sample &lt; 1, error_buffer is
    /// NaN or infinite, or (Reverb's rule) error_buffer &lt; max(1, samples_per_insert), since the range
    /// max_diff − min_diff must be at least 2 × max(1, samples_per_insert) or calls could block for good.
    /// </exception>
    public static RateLimiterSpec SampleToInsertRatio(double samplesPerInsert, long minSizeToSample, double errorBuffer)
    {
        RequireSamplesPerInsert(samplesPerInsert);
        RequireMinSize(minSizeToSample);
        if (!double.IsFinite(errorBuffer))
        {
            throw GearException.InvalidArgument($"error_buffer must be a finite number, got {Format(errorBuffer)}");
        }

        double needed = Math.Max(1.0, samplesPerInsert);
        if (errorBuffer < needed)
        {
            throw GearException.InvalidArgument(
                $"error_buffer ({Format(errorBuffer)}) must be >= max(1, samples_per_insert) = {Format(needed)}: a smaller " +
                "buffer could block samples and/or inserts completely");
        }

        double offset = samplesPerInsert * minSizeToSample;
        return Build(samplesPerInsert, minSizeToSample, offset - errorBuffer, offset + errorBuffer);
    }

    /// <summary>
    /// Reverb's <c>SampleToInsertRatio</c> with an <c>error_buffer</c> range: <c>(min_diff, max_diff)</c> are used
    /// as given, without the <c>samplesPerInsert × minSizeToSample</c> offset.
    /// </summary>
    /// <remarks>
    /// As in Reverb, a max_diff below <c>samplesPerInsert × minSizeToSample</c> is accepted (Reverb only logs a
    /// warning): it deadlocks once the table reaches its minimum size unless samples run concurrently.
    /// </remarks>
    /// <exception cref="GearException">
    /// InvalidArgument when samples_per_insert is not finite and &gt; 0, min_size_to_sample &lt; 1, either bound is
    /// NaN or infinite, max_diff − min_diff &lt; 2 × max(1, samples_per_insert), or min_diff &gt;
    /// samples_per_insert × min_size_to_sample (which deadlocks as soon as the table reaches its minimum size).
    /// </exception>
    public static RateLimiterSpec SampleToInsertRatio(
        double samplesPerInsert, long minSizeToSample, (double MinDiff, double MaxDiff) errorBuffer)
    {
        RequireSamplesPerInsert(samplesPerInsert);
        RequireMinSize(minSizeToSample);
        (double minDiff, double maxDiff) = errorBuffer;
        if (!double.IsFinite(minDiff))
        {
            throw GearException.InvalidArgument($"error_buffer min_diff must be a finite number, got {Format(minDiff)}");
        }

        if (!double.IsFinite(maxDiff))
        {
            throw GearException.InvalidArgument($"error_buffer max_diff must be a finite number, got {Format(maxDiff)}");
        }

        double needed = 2 * Math.Max(1.0, samplesPerInsert);
        if (maxDiff - minDiff < needed)
        {
            throw GearException.InvalidArgument(
                $"error_buffer range (min_diff {Format(minDiff)}, max_diff {Format(maxDiff)}) must span >= " +
                $"2 * max(1, samples_per_insert) = {Format(needed)}: a smaller range could block samples and/or " +
                "inserts completely");
        }

        return Build(samplesPerInsert, minSizeToSample, minDiff, maxDiff);
    }

    /// <summary>
    /// Reverb's <c>Queue</c> limiter (used by <c>Table.queue</c> with Fifo sampler and remover and
    /// max_times_sampled = 1): samples_per_insert = 1, min_size_to_sample = 1, min_diff = 0, max_diff = size.
    /// Each item is sampled once, inserts block while <paramref name="size"/> items wait unsampled, samples block
    /// while none does.
    /// </summary>
    /// <exception cref="GearException">InvalidArgument when <paramref name="size"/> &lt; 1 (Gear's check; Reverb has none).</exception>
    public static RateLimiterSpec Queue(long size)
    {
        RequireSize(size);
        return new RateLimiterSpec(1.0, 1, 0.0, size);
    }

    /// <summary>
    /// Reverb's <c>Stack</c> limiter (used by <c>Table.stack</c> with Lifo sampler and remover and
    /// max_times_sampled = 1): the same parameters as <see cref="Queue"/>: samples_per_insert = 1,
    /// min_size_to_sample = 1, min_diff = 0, max_diff = size.
    /// </summary>
    /// <exception cref="GearException">InvalidArgument when <paramref name="size"/> &lt; 1 (Gear's check; Reverb has none).</exception>
    public static RateLimiterSpec Stack(long size)
    {
        RequireSize(size);
        return new RateLimiterSpec(1.0, 1, 0.0, size);
    }

    private static RateLimiterSpec Build(double samplesPerInsert, long minSizeToSample, double minDiff, double maxDiff)
    {
        double offset = samplesPerInsert * minSizeToSample;
        if (minDiff > offset)
        {
            throw GearException.InvalidArgument(
                $"error_buffer puts min_diff ({Format(minDiff)}) above samples_per_insert * min_size_to_sample " +
                $"({Format(offset)}): samples would deadlock as soon as min_size_to_sample items are inserted");
        }

        return new RateLimiterSpec(samplesPerInsert, minSizeToSample, minDiff, maxDiff);
    }

    private static void RequireSamplesPerInsert(double samplesPerInsert)
    {
        if (!double.IsFinite(samplesPerInsert) || samplesPerInsert <= 0)
        {
            throw GearException.InvalidArgument(
                $"samples_per_insert must be a finite number > 0, got {Format(samplesPerInsert)}");
        }
    }

    private static void RequireMinSize(long minSizeToSample)
    {
        if (minSizeToSample < 1)
        {
            throw GearException.InvalidArgument($"min_size_to_sample must be >= 1, got {minSizeToSample}");
        }
    }

    private static void RequireSize(long size)
    {
        if (size < 1)
        {
            throw GearException.InvalidArgument($"size must be >= 1, got {size}");
        }
    }
}
