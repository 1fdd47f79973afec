using System.Globalization;
using System.Text.RegularExpressions;

namespace Gear.Server.Tests.Admin;

/// <summary>
/// A strict reader of the Prometheus text format 0.0.4, for tests: every line must be a HELP, a TYPE or a
/// sample of a declared family, samples are "name{labels} value", and histograms must be well formed.
/// </summary>
internal sealed partial class PrometheusText
{
    private readonly Dictionary<string, string> _types = new(StringComparer.Ordinal);
    private readonly List<Sample> _samples = [];

    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public IReadOnlyDictionary<string, string> Types => _types;

    public IReadOnlyList<Sample> Samples => _samples;

    public static PrometheusText Parse(string text)
    {
        var parsed = new PrometheusText();
        var helped = new HashSet<string>(StringComparer.Ordinal);
        Assert.IsTrue(text.EndsWith('\n'), "the exposition ends with a newline");
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var name = line[7..].Split(' ')[0];
                Assert.IsTrue(helped.Add(name), $"one HELP per family: {name}");
                continue;
            }
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line[7..].Split(' ');
                Assert.AreEqual(2, parts.Length, line);
                CollectionAssert.Contains(new[] { "counter", "gauge", "histogram", "summary", "untyped" }, parts[1], line);
                Assert.IsTrue(parsed._types.TryAdd(parts[0], parts[1]), $"one TYPE per family: {parts[0]}");
                if (parts[1] == "counter")
                    StringAssert.EndsWith(parts[0], "_total", "counters end in _total");
                continue;
            }
            var match = SampleLine().Match(line);
            Assert.IsTrue(match.Success, $"not a sample line: '{line}'");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in LabelPair().Matches(match.Groups["labels"].Value))
                labels.Add(label.Groups[1].Value, Regex.Unescape(label.Groups[2].Value));
            var value = match.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            var sampleName = match.Groups["name"].Value;
            Assert.IsTrue(parsed.FamilyOf(sampleName) is not null, $"sample {sampleName} has no TYPE line before it");
            parsed._samples.Add(new Sample(sampleName, labels, value));
        }
        parsed.CheckHistograms();
        return parsed;
    }

    /// <summary>The value of the sample with this name and these labels (exactly), or null.</summary>
    public double? Value(string name, params (string Label, string Value)[] labels) =>
        _samples.FirstOrDefault(s => s.Name == name && s.Labels.Count == labels.Length && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value))?.Value;

    private string? FamilyOf(string sample)
    {
        if (_types.ContainsKey(sample))
            return sample;
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (sample.EndsWith(suffix, StringComparison.Ordinal) && _types.TryGetValue(sample[..^suffix.Length], out var type) && type == "histogram")
                return sample[..^suffix.Length];
        }
        return null;
    }

    private void CheckHistograms()
    {
        foreach (var (family, type) in _types.Where(t => t.Value == "histogram"))
        {
            var buckets = _samples.Where(s => s.Name == family + "_bucket").GroupBy(s => Key(s.Labels, "le"));
            foreach (var series in buckets)
            {
                var values = series.Select(s => (Le: s.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(s.Labels["le"], CultureInfo.InvariantCulture), s.Value)).ToArray();
                for (var i = 1; i < values.Length; i++)
                {
                    Assert.IsTrue(values[i].Le > values[i - 1].Le, $"{family}: bucket bounds increase");
                    Assert.IsTrue(values[i].Value >= values[i - 1].Value, $"{family}: buckets are cumulative");
                }
                Assert.AreEqual(double.PositiveInfinity, values[^1].Le, $"{family}: the last bucket is +Inf");
                var count = _samples.Single(s => s.Name == family + "_count" && Key(s.Labels, null) == series.Key).Value;
                Assert.AreEqual(count, values[^1].Value, $"{family}: _count equals the +Inf bucket");
                Assert.IsTrue(_samples.Any(s => s.Name == family + "_sum" && Key(s.Labels, null) == series.Key), $"{family}: has _sum");
            }
        }
    }

    private static string Key(IReadOnlyDictionary<string, string> labels, string? except) =>
        string.Join(",", labels.Where(l => l.Key != except).OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
