using System.Text;

namespace Gear.Server.Admin.Metrics;

/// <summary>
/// Prometheus metric names for System.Diagnostics.Metrics instruments, following OpenTelemetry's
/// Prometheus conventions: characters outside [a-zA-Z0-9_:] become '_', the unit becomes a suffix ("s" →
/// "_seconds", "By" → "_bytes"; annotations such as "{window}" add nothing), and counters end in "_total".
/// </summary>
public static class PrometheusNames
{
    /// <summary>The Prometheus name of an instrument: "gear.sample.duration" in "s" → "gear_sample_duration_seconds".</summary>
    public static string For(string instrument, string? unit, MetricKind kind)
    {
        var name = new StringBuilder(instrument.Length + 16);
        foreach (var c in instrument)
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or ':' ? c : '_');
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
            name.Insert(0, '_');
        var suffix = UnitSuffix(unit);
        if (suffix.Length > 0 && !name.ToString().EndsWith(suffix, StringComparison.Ordinal))
            name.Append(suffix);
        if (kind == MetricKind.Counter)
            name.Append("_total");
        return name.ToString();
    }

    private static string UnitSuffix(string? unit) => unit switch
    {
        "s" => "_seconds",
        "ms" => "_milliseconds",
        "By" => "_bytes",
        "1" => "_ratio",
        _ => "", // "{window}" and the like are annotations: the name already says what is counted
    };
}
