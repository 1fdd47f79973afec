using System.Diagnostics.Metrics;

namespace Gear.Server.Admin.Metrics;

/// <summary>How an instrument's values aggregate, in Prometheus' terms.</summary>
public enum MetricKind
{
    /// <summary>A running total that only grows (Counter, ObservableCounter).</summary>
    Counter,

    /// <summary>A value that goes up and down (UpDownCounter, gauges).</summary>
    Gauge,

    /// <summary>A distribution in buckets, with sum and count (Histogram).</summary>
    Histogram,
}

/// <summary>Classifies System.Diagnostics.Metrics instruments.</summary>
public static class MetricKinds
{
    /// <summary>The kind of <paramref name="instrument"/>.</summary>
    public static MetricKind Of(Instrument instrument)
    {
        var type = instrument.GetType();
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        if (definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>))
            return MetricKind.Counter;
        if (definition == typeof(Histogram<>))
            return MetricKind.Histogram;
        return MetricKind.Gauge;
    }
}
