using System.Text.Json.Serialization;

namespace Gear.Server.Admin;

// The JSON of /api/v1 (documented field by field in README.md next to this file). Records, so that the
// shapes are plain data; camelCase names come from AdminJsonContext.

/// <summary><c>/api/v1/server</c>: the server as a whole.</summary>
public sealed record ServerView(
    string Version,
    string Backend,
    string BackendReason,
    string Device,
    DateTime StartedUtc,
    double UptimeSeconds,
    bool Ready,
    string ReadyState,
    int TableCount,
    long GrpcConnections,
    long GrpcConnectionsOpened,
    int Actors,
    int Learners,
    long ItemsInserted,
    long WindowsSampled,
    double InsertRate,
    double SampleRate,
    MemoryView Memory,
    string DataPlane,
    string LastCheckpoint,
    RateSeriesView Rates);

/// <summary>Bytes per memory tier.</summary>
public sealed record MemoryView(long HostReservedBytes, long HostUsedBytes, long DeviceReservedBytes, long DeviceUsedBytes, string Device);

/// <summary>Rates per second over the last minute, oldest first, one per second.</summary>
public sealed record RateSeriesView(double[] Insert, double[] Sample);

/// <summary><c>/api/v1/tables</c>: one page of the tables, ordered by name.</summary>
public sealed record TablePageView(int Total, int Offset, int Limit, string? Filter, IReadOnlyList<TableSummaryView> Tables);

/// <summary>The rate limiter's state.</summary>
public sealed record RateLimiterView(
    bool CanInsert, bool CanSample, int BlockedInserters, int BlockedSamplers, long Inserts, long Samples, long Size,
    double SamplesPerInsert, long MinSizeToSample, double MinDiff, double MaxDiff);

/// <summary>One table in the list: what the dashboard's row shows, kept small.</summary>
public sealed record TableSummaryView(
    string Name,
    string Sampler,
    int Items,
    long Steps,
    int OpenTrajectories,
    int ClosedTrajectories,
    MemoryView Memory,
    long ItemsInserted,
    long WindowsSampled,
    double InsertRate,
    double SampleRate,
    RateLimiterView RateLimiter,
    int Actors,
    int Learners);

/// <summary>A histogram: a label per bucket and its count.</summary>
public sealed record HistogramView(bool Tracked, string[] Labels, long[] Counts);

/// <summary><c>/api/v1/tables/{name}</c>: one table in full.</summary>
public sealed record TableDetailView(
    TableSummaryView Summary,
    string Remover,
    string Granularity,
    double PriorityExponent,
    int MaxTimesSampled,
    int PageSteps,
    int PagesTotal,
    int PagesFree,
    long ItemsEvicted,
    long ItemsRetired,
    long ItemsDeleted,
    long IgnoredPriorityUpdates,
    long IgnoredDeletes,
    double SelectionMass,
    RateSeriesView Rates,
    HistogramView TimesSampled,
    HistogramView Priorities);

/// <summary>An error body.</summary>
public sealed record ErrorView(string Error);

/// <summary>Source-generated serialization of the admin views (no reflection at run time).</summary>
// Unbounded rate-limiter diffs are ±∞, which JSON numbers cannot say: they travel as the strings "Infinity" and "-Infinity".
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(ServerView))]
[JsonSerializable(typeof(TablePageView))]
[JsonSerializable(typeof(TableDetailView))]
[JsonSerializable(typeof(ErrorView))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
