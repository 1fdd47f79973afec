namespace Gear.Server.Admin.Metrics;

/// <summary>
/// The aggregate of one series (an instrument and one set of tag values): a running sum for counters, the
/// latest value for observed gauges, bucket counts and a sum for histograms. Updated lock-free by concurrent
/// measurements.
/// </summary>
internal sealed class SeriesCell(IReadOnlyList<KeyValuePair<string, string>> labels, double[]? bounds)
{
    private readonly long[]? _buckets = bounds is null ? null : new long[bounds.Length + 1];
    private double _value;

    /// <summary>The series' labels (tag names and values as text).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; } = labels;

    /// <summary>Adds to the running sum (counters, up-down counters).</summary>
    public void Add(double value) => AddDouble(ref _value, value);

    /// <summary>Replaces the value (observed instruments report absolute values).</summary>
    public void Set(double value) => Volatile.Write(ref _value, value);

    /// <summary>Counts one histogram observation in its bucket: the first whose upper bound is at least <paramref name="value"/>.</summary>
    public void Observe(double value)
    {
        var index = 0;
        while (index < bounds!.Length && value > bounds[index])
            index++;
        Interlocked.Increment(ref _buckets![index]);
        AddDouble(ref _value, value);
    }

    /// <summary>A copy of the current state.</summary>
    public SeriesSnapshot Snapshot()
    {
        long[]? buckets = null;
        long count = 0;
        if (_buckets is not null)
        {
            buckets = new long[_buckets.Length];
            for (var i = 0; i < buckets.Length; i++)
                count += buckets[i] = Volatile.Read(ref _buckets[i]);
        }
        return new SeriesSnapshot(Labels, Volatile.Read(ref _value), buckets, count);
    }

    private static void AddDouble(ref double target, double value)
    {
        var current = Volatile.Read(ref target);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref target, current + value, current);
            if (seen.Equals(current))
                return;
            current = seen;
        }
    }
}

/// <summary>One series as collected.</summary>
/// <param name="Labels">Tag names and values.</param>
/// <param name="Value">The counter's total, the gauge's value, or the histogram's sum.</param>
/// <param name="BucketCounts">Histograms: observations per bucket (not cumulative), the last one above every bound.</param>
/// <param name="Count">Histograms: observations in all.</param>
public sealed record SeriesSnapshot(IReadOnlyList<KeyValuePair<string, string>> Labels, double Value, long[]? BucketCounts, long Count);

/// <summary>One instrument as collected.</summary>
/// <param name="Name">The instrument's name ("gear.sample.duration").</param>
/// <param name="Unit">Its unit ("s", "By", "{window}"), if any.</param>
/// <param name="Description">What it measures.</param>
/// <param name="Kind">How it aggregates.</param>
/// <param name="Bounds">Histograms: the buckets' upper bounds.</param>
/// <param name="Series">Its series, ordered by labels.</param>
public sealed record InstrumentSnapshot(
    string Name, string? Unit, string? Description, MetricKind Kind, IReadOnlyList<double>? Bounds, IReadOnlyList<SeriesSnapshot> Series);
