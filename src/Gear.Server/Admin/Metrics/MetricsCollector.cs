using System.Diagnostics.Metrics;

namespace Gear.Server.Admin.Metrics;

/// <summary>
/// Listens to one <see cref="Meter"/>'s instruments with a <see cref="MeterListener"/> and keeps their
/// aggregates (sums, latest values, histogram buckets) for <c>/metrics</c>. Only that meter's instruments
/// are enabled, so another server's measurements in the same process never mix in.
/// </summary>
public sealed class MetricsCollector : IDisposable
{
    private readonly MeterListener _listener;
    private readonly List<InstrumentSeries> _instruments = [];
    private readonly object _collecting = new();
    private readonly Action? _beforeObserving;

    /// <summary>Starts listening to the instruments of <paramref name="meter"/> (those created later too).</summary>
    /// <param name="meter">The meter whose instruments are collected.</param>
    /// <param name="beforeObserving">Runs at each collection before the observable instruments are read (say, to take one snapshot they all report).</param>
    public MetricsCollector(Meter meter, Action? beforeObserving = null)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _beforeObserving = beforeObserving;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (!ReferenceEquals(instrument.Meter, meter))
                    return;
                var series = new InstrumentSeries(instrument);
                lock (_instruments)
                    _instruments.Add(series);
                listener.EnableMeasurementEvents(instrument, series);
            },
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Observes the observable instruments and returns every instrument's series, ordered by name.</summary>
    public IReadOnlyList<InstrumentSnapshot> Collect()
    {
        lock (_collecting)
        {
            InstrumentSeries[] all;
            lock (_instruments)
                all = [.. _instruments];
            foreach (var series in all)
                series.BeginObservation();
            _beforeObserving?.Invoke();
            _listener.RecordObservableInstruments();
            return all.Select(s => s.Snapshot()).OrderBy(s => s.Name, StringComparer.Ordinal).ToArray();
        }
    }

    /// <summary>Stops listening.</summary>
    public void Dispose() => _listener.Dispose();
}
