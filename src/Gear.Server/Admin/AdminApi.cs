using Gear.Server.Admin.Metrics;
using Gear.Server.Hosting;
using Gear.Server.Service;

namespace Gear.Server.Admin;

/// <summary>Builds the views of <c>/api/v1</c> from the tables, the metrics and the rate tracker.</summary>
public sealed class AdminApi(TableRegistry registry, ServerIdentity identity, ServerReadiness readiness, GearMetrics metrics, RateTracker rates)
{
    /// <summary>Most tables one page of <c>/api/v1/tables</c> holds.</summary>
    public const int MaxPageSize = 200;

    /// <summary>Tables per page when the caller does not say.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>Where bucket 1 of the priority histogram begins: 2^-10.</summary>
    public const int LowestPriorityExponent = -10;

    private const int PriorityBuckets = 26;   // < 2^-10, then 2^-10 … 2^13 by powers of two, then ≥ 2^14
    private const int TimesSampledBuckets = 12; // 0, 1, 2–3, …, 512–1023, ≥ 1024

    private static readonly string[] PriorityLabels = MakePriorityLabels();
    private static readonly string[] TimesSampledLabels = MakeTimesSampledLabels();

    /// <summary>The server as a whole.</summary>
    public ServerView Server()
    {
        var tables = TableSnapshots.Take(registry);
        var cpu = IsCpu;
        return new ServerView(
            identity.Version,
            identity.Backend,
            identity.BackendReason,
            DeviceText,
            identity.StartedUtc,
            Math.Round((DateTime.UtcNow - identity.StartedUtc).TotalSeconds, 1),
            readiness.IsReady,
            readiness.State,
            tables.Count,
            metrics.OpenConnections,
            metrics.OpenedConnections,
            metrics.Activity.TotalActors,
            metrics.Activity.TotalLearners,
            tables.Sum(t => t.Info.ItemsInserted),
            tables.Sum(t => t.Info.WindowsSampled),
            Round(rates.Server.InsertRate),
            Round(rates.Server.SampleRate),
            new MemoryView(tables.Sum(t => t.Info.BytesReserved), tables.Sum(t => t.Info.BytesUsed), 0, 0, DeviceText),
            identity.DataPlane,
            "none (checkpoints are not available in this release)",
            Series(rates.Server));
    }

    /// <summary>One page of the tables whose names contain <paramref name="filter"/>, ordered by name.</summary>
    public TablePageView Tables(int offset, int limit, string? filter)
    {
        offset = Math.Max(0, offset);
        limit = Math.Clamp(limit, 1, MaxPageSize);
        var matching = TableSnapshots.Take(registry)
            .Where(t => string.IsNullOrEmpty(filter) || t.Name.Contains(filter, StringComparison.OrdinalIgnoreCase))
            .ToArray();
        var page = matching.Skip(offset).Take(limit).Select(Summary).ToArray();
        return new TablePageView(matching.Length, offset, limit, string.IsNullOrEmpty(filter) ? null : filter, page);
    }

    /// <summary>One table in full, with its histograms; null when there is no such table.</summary>
    public TableDetailView? Table(string name)
    {
        var served = registry.Served.FirstOrDefault(t => t.Name == name);
        if (served is null || !served.TryAcquire(out var lease))
            return null;
        using (lease)
        {
            var table = lease.Table;
            var snapshot = new TableSnapshot(table.Spec, table.GetInfo());
            var times = new long[TimesSampledBuckets];
            table.TimesSampledHistogram(times);
            var priorities = new long[PriorityBuckets];
            var tracked = table.PriorityHistogram(priorities, LowestPriorityExponent);
            var spec = table.Spec;
            var info = snapshot.Info;
            return new TableDetailView(
                Summary(snapshot),
                spec.Remover.ToString(),
                spec.Granularity.ToString(),
                spec.PriorityExponent,
                spec.MaxTimesSampled,
                spec.PageSteps,
                info.PagesTotal,
                info.PagesFree,
                info.ItemsEvicted,
                info.ItemsRetired,
                info.ItemsDeleted,
                info.IgnoredPriorityUpdates,
                info.IgnoredDeletes,
                info.SelectionMass,
                Series(rates.For(name)),
                new HistogramView(true, TimesSampledLabels, times),
                new HistogramView(tracked, PriorityLabels, priorities));
        }
    }

    private bool IsCpu => identity.Backend.StartsWith("cpu", StringComparison.OrdinalIgnoreCase);

    private string DeviceText => IsCpu ? "no device (CPU backend)" : identity.Backend;

    private TableSummaryView Summary(TableSnapshot table)
    {
        var info = table.Info;
        var limiter = info.RateLimiter;
        var limiterSpec = table.Spec.RateLimiter;
        var history = rates.For(table.Name);
        return new TableSummaryView(
            table.Name,
            table.Spec.Sampler.ToString(),
            info.ItemCount,
            info.StoredSteps,
            info.OpenTrajectories,
            info.ClosedTrajectories,
            // The CPU backend keeps every page in host memory only, whatever the table's device budget.
            new MemoryView(info.BytesReserved, info.BytesUsed, IsCpu ? 0 : info.DeviceBytesReserved, IsCpu ? 0 : info.DeviceBytesUsed, DeviceText),
            info.ItemsInserted,
            info.WindowsSampled,
            Round(history.InsertRate),
            Round(history.SampleRate),
            new RateLimiterView(limiter.CanInsertOne, limiter.CanSampleOne, limiter.BlockedInserters, limiter.BlockedSamplers,
                limiter.Inserts, limiter.Samples, limiter.Size,
                limiterSpec.SamplesPerInsert, limiterSpec.MinSizeToSample, limiterSpec.MinDiff, limiterSpec.MaxDiff),
            metrics.Activity.Actors(table.Name),
            metrics.Activity.Learners(table.Name));
    }

    private static RateSeriesView Series(RateHistory history)
    {
        var (insert, sample) = history.Series();
        for (var i = 0; i < insert.Length; i++)
        {
            insert[i] = Round(insert[i]);
            sample[i] = Round(sample[i]);
        }
        return new RateSeriesView(insert, sample);
    }

    private static double Round(double rate) => Math.Round(rate, 2);

    private static string[] MakePriorityLabels()
    {
        var labels = new string[PriorityBuckets];
        labels[0] = $"<2^{LowestPriorityExponent}";
        for (var k = 1; k < PriorityBuckets - 1; k++)
            labels[k] = $"2^{LowestPriorityExponent + k - 1}";
        labels[^1] = $"≥2^{LowestPriorityExponent + PriorityBuckets - 2}";
        return labels;
    }

    private static string[] MakeTimesSampledLabels()
    {
        var labels = new string[TimesSampledBuckets];
        labels[0] = "0";
        labels[1] = "1";
        for (var k = 2; k < TimesSampledBuckets - 1; k++)
            labels[k] = $"{1 << (k - 1)}–{(1 << k) - 1}";
        labels[^1] = $"≥{1 << (TimesSampledBuckets - 2)}";
        return labels;
    }
}
