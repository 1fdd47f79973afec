using System.Diagnostics.Metrics;
using Gear.Server.Service;

namespace Gear.Server.Admin.Metrics;

/// <summary>
/// Observable gauges of every table's state (items, steps, memory per tier, rate-limiter queue depths), read
/// from the tables when metrics are collected. <see cref="Refresh"/> takes one snapshot of the tables before
/// each collection (the collector calls it), and every gauge of that collection reads it.
/// </summary>
public sealed class TableGauges
{
    private readonly TableRegistry _registry;
    private readonly object _sync = new();
    private IReadOnlyList<TableSnapshot> _snapshot = [];

    /// <summary>Creates the gauges on <paramref name="meter"/> for the tables of <paramref name="registry"/>.</summary>
    public TableGauges(Meter meter, TableRegistry registry)
    {
        _registry = registry;
        meter.CreateObservableGauge("gear.table.items", () => Each(t => t.Info.ItemCount), "{item}", "Items in the table (sampleable).");
        meter.CreateObservableGauge("gear.table.steps", () => Each(t => t.Info.StoredSteps), "{step}", "Steps stored, open trajectories included.");
        meter.CreateObservableGauge("gear.table.trajectories", () => Each(
            t => t.Info.OpenTrajectories, "state", "open", t => t.Info.ClosedTrajectories, "closed"),
            "{trajectory}", "Trajectories in the table, by state.");
        meter.CreateObservableGauge("gear.table.memory.reserved", () => Each(
            t => t.Info.BytesReserved, "tier", "host", _ => 0L, "device"),
            "By", "Memory set aside for the table's pages, by tier (host: pinned host memory; device: GPU memory, 0 on the CPU backend).");
        meter.CreateObservableGauge("gear.table.memory.used", () => Each(
            t => t.Info.BytesUsed, "tier", "host", _ => 0L, "device"),
            "By", "Memory in pages that hold steps, by tier.");
        meter.CreateObservableGauge("gear.rate_limiter.blocked", () => Each(
            t => t.Info.RateLimiter.BlockedInserters, "side", GearMetrics.Side.Insert, t => t.Info.RateLimiter.BlockedSamplers, GearMetrics.Side.Sample),
            "{call}", "Calls waiting for the rate limiter now (queue depth), by side.");
        meter.CreateObservableGauge("gear.tables", () => Tables().Count, "{table}", "Tables served.");
    }

    private IEnumerable<Measurement<long>> Each(Func<TableSnapshot, long> value) =>
        Tables().Select(t => new Measurement<long>(value(t), new KeyValuePair<string, object?>("table", t.Name)));

    private IEnumerable<Measurement<long>> Each(
        Func<TableSnapshot, long> first, string tag, string firstValue, Func<TableSnapshot, long> second, string secondValue) =>
        Tables().SelectMany(t => new[]
        {
            new Measurement<long>(first(t), new("table", t.Name), new(tag, firstValue)),
            new Measurement<long>(second(t), new("table", t.Name), new(tag, secondValue)),
        });

    /// <summary>Reads the tables afresh; the gauges report this snapshot until the next refresh.</summary>
    public void Refresh()
    {
        var snapshot = TableSnapshots.Take(_registry);
        lock (_sync)
            _snapshot = snapshot;
    }

    private IReadOnlyList<TableSnapshot> Tables()
    {
        lock (_sync)
            return _snapshot;
    }
}
