using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace Gear.Server.Admin.Metrics;

/// <summary>Every series of one instrument, keyed by tag values; measurements arrive from the collector's listener.</summary>
internal sealed class InstrumentSeries
{
    private static readonly double[] DefaultBounds = [.. GearMetrics.LatencyBuckets];

    private readonly ConcurrentDictionary<TagKey, SeriesCell> _cells = new();
    private readonly double[]? _bounds;

    public InstrumentSeries(Instrument instrument)
    {
        Instrument = instrument;
        Kind = MetricKinds.Of(instrument);
        IsObservable = instrument.IsObservable;
        if (Kind == MetricKind.Histogram)
            _bounds = (instrument as Histogram<double>)?.Advice?.HistogramBucketBoundaries?.ToArray()
                ?? (instrument as Histogram<long>)?.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray()
                ?? DefaultBounds;
    }

    public Instrument Instrument { get; }

    public MetricKind Kind { get; }

    /// <summary>Observed instruments report absolute values at each collection.</summary>
    public bool IsObservable { get; }

    /// <summary>Records one measurement.</summary>
    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var key = TagKey.From(tags);
        if (!_cells.TryGetValue(key, out var cell))
            cell = _cells.GetOrAdd(key, new SeriesCell(LabelsOf(tags), _bounds));
        if (IsObservable)
            cell.Set(value);
        else if (Kind == MetricKind.Histogram)
            cell.Observe(value);
        else
            cell.Add(value);
    }

    /// <summary>Forgets the series of an observed instrument before it is observed again (a dropped table's series go).</summary>
    public void BeginObservation()
    {
        if (IsObservable)
            _cells.Clear();
    }

    /// <summary>A copy of every series, ordered by labels.</summary>
    public InstrumentSnapshot Snapshot() => new(
        Instrument.Name,
        Instrument.Unit,
        Instrument.Description,
        Kind,
        _bounds,
        _cells.Values.Select(c => c.Snapshot())
            .OrderBy(s => string.Join('\u0001', s.Labels.Select(l => l.Value)), StringComparer.Ordinal)
            .ToArray());

    private static KeyValuePair<string, string>[] LabelsOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = new KeyValuePair<string, string>[tags.Length];
        for (var i = 0; i < tags.Length; i++)
            labels[i] = new(tags[i].Key, Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? "");
        return labels;
    }
}
