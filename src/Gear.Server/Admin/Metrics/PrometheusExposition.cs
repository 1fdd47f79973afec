using System.Globalization;
using System.Text;

namespace Gear.Server.Admin.Metrics;

/// <summary>
/// Writes collected instruments in the Prometheus text exposition format, version 0.0.4: a <c># HELP</c> and a
/// <c># TYPE</c> line per metric, then one line per series; histograms as cumulative <c>_bucket{le="…"}</c>
/// lines ending with <c>le="+Inf"</c>, then <c>_sum</c> and <c>_count</c>.
/// </summary>
public static class PrometheusExposition
{
    /// <summary>The Content-Type of the format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The exposition of <paramref name="instruments"/>.</summary>
    public static string Write(IReadOnlyList<InstrumentSnapshot> instruments)
    {
        var text = new StringBuilder(4096);
        foreach (var instrument in instruments)
        {
            var name = PrometheusNames.For(instrument.Name, instrument.Unit, instrument.Kind);
            text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(instrument.Description ?? instrument.Name)).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(instrument.Kind switch
            {
                MetricKind.Counter => "counter",
                MetricKind.Histogram => "histogram",
                _ => "gauge",
            }).Append('\n');
            foreach (var series in instrument.Series)
            {
                if (instrument.Kind == MetricKind.Histogram)
                    WriteHistogram(text, name, instrument.Bounds!, series);
                else
                    Line(text, name, series.Labels, null, series.Value);
            }
        }
        return text.ToString();
    }

    private static void WriteHistogram(StringBuilder text, string name, IReadOnlyList<double> bounds, SeriesSnapshot series)
    {
        var buckets = series.BucketCounts!;
        long cumulative = 0;
        for (var i = 0; i < bounds.Count; i++)
        {
            cumulative += buckets[i];
            Line(text, name + "_bucket", series.Labels, Number(bounds[i]), cumulative);
        }
        Line(text, name + "_bucket", series.Labels, "+Inf", series.Count);
        Line(text, name + "_sum", series.Labels, null, series.Value);
        Line(text, name + "_count", series.Labels, null, series.Count);
    }

    private static void Line(StringBuilder text, string name, IReadOnlyList<KeyValuePair<string, string>> labels, string? le, double value)
    {
        text.Append(name);
        if (labels.Count > 0 || le is not null)
        {
            text.Append('{');
            var first = true;
            foreach (var (label, labelValue) in labels)
            {
                if (!first)
                    text.Append(',');
                first = false;
                text.Append(label).Append("=\"").Append(EscapeLabel(labelValue)).Append('"');
            }
            if (le is not null)
                text.Append(first ? "" : ",").Append("le=\"").Append(le).Append('"');
            text.Append('}');
        }
        text.Append(' ').Append(Number(value)).Append('\n');
    }

    /// <summary>A sample value as the format writes it: "+Inf", "-Inf", "NaN", or the shortest round-trip form.</summary>
    public static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static string EscapeHelp(string help) => help.Replace("\\", "\\\\").Replace("\n", "\\n");

    private static string EscapeLabel(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
