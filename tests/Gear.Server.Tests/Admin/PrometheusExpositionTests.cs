using System.Diagnostics.Metrics;
using Gear.Server.Admin.Metrics;

namespace Gear.Server.Tests.Admin;

[TestClass]
public sealed class PrometheusExpositionTests
{
    [TestMethod]
    [DataRow("gear.sample.duration", "s", MetricKind.Histogram, "gear_sample_duration_seconds")]
    [DataRow("gear.insert.bytes", "By", MetricKind.Counter, "gear_insert_bytes_total")]
    [DataRow("gear.insert.steps", "{step}", MetricKind.Counter, "gear_insert_steps_total")]
    [DataRow("gear.table.items", "{item}", MetricKind.Gauge, "gear_table_items")]
    [DataRow("9-lives", null, MetricKind.Gauge, "_9_lives")]
    public void NamesFollowThePrometheusConventions(string instrument, string? unit, MetricKind kind, string expected) =>
        Assert.AreEqual(expected, PrometheusNames.For(instrument, unit, kind));

    [TestMethod]
    public void WritesCountersGaugesAndCumulativeHistograms()
    {
        using var meter = new Meter("test.exposition");
        using var collector = new MetricsCollector(meter);
        var counter = meter.CreateCounter<long>("demo.events", "{event}", "Events.");
        var histogram = meter.CreateHistogram("demo.latency", "s", "Latency.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
        var gauge = meter.CreateUpDownCounter<long>("demo.open", null, "Open things.");
        counter.Add(2, new KeyValuePair<string, object?>("who", "a \"quoted\" \\ name"));
        counter.Add(3, new KeyValuePair<string, object?>("who", "a \"quoted\" \\ name"));
        histogram.Record(0.05);
        histogram.Record(0.5);
        histogram.Record(7);
        gauge.Add(4);
        gauge.Add(-1);

        var text = PrometheusExposition.Write(collector.Collect());
        var parsed = PrometheusText.Parse(text);

        StringAssert.Contains(text, "# TYPE demo_events_total counter\n");
        StringAssert.Contains(text, "demo_events_total{who=\"a \\\"quoted\\\" \\\\ name\"} 5\n");
        Assert.AreEqual(3, parsed.Value("demo_open"));
        Assert.AreEqual(1, parsed.Value("demo_latency_seconds_bucket", ("le", "0.1")));
        Assert.AreEqual(2, parsed.Value("demo_latency_seconds_bucket", ("le", "1")));
        Assert.AreEqual(3, parsed.Value("demo_latency_seconds_bucket", ("le", "+Inf")));
        Assert.AreEqual(3, parsed.Value("demo_latency_seconds_count"));
        Assert.AreEqual(7.55, parsed.Value("demo_latency_seconds_sum")!.Value, 1e-9);
    }

    [TestMethod]
    public void ListensOnlyToItsOwnMeter()
    {
        using var mine = new Meter("test.mine");
        using var other = new Meter("test.mine"); // same name, another server in the same process
        using var collector = new MetricsCollector(mine);
        mine.CreateCounter<long>("shared.count").Add(1);
        other.CreateCounter<long>("shared.count").Add(100);
        Assert.AreEqual(1, PrometheusText.Parse(PrometheusExposition.Write(collector.Collect())).Value("shared_count_total"));
    }

    [TestMethod]
    public void RecordingWithATableTagAllocatesNothing()
    {
        using var metrics = new GearMetrics();
        using var collector = new MetricsCollector(metrics.Meter);
        var table = "hot-table";
        metrics.Appended(table, 64, 1024); // first sight of the series allocates its cell
        metrics.CallCompleted("/gear.v1.Replay/Sample", Gear.Protocol.Grpc.MethodType.Unary, Gear.Protocol.Grpc.StatusCode.OK, TimeSpan.FromMilliseconds(1));
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            metrics.Appended(table, 64, 1024);
            metrics.CallCompleted("/gear.v1.Replay/Sample", Gear.Protocol.Grpc.MethodType.Unary, Gear.Protocol.Grpc.StatusCode.OK, TimeSpan.FromMilliseconds(1));
        }
        Assert.AreEqual(0, GC.GetAllocatedBytesForCurrentThread() - before, "per-batch hooks must not allocate");
    }
}
