using Gear.Core.RateLimiting;

namespace Gear.Core.Tables;

/// <summary>
/// A snapshot of a table's sizes, memory accounting and lifetime counters. The device figures describe the
/// table's device tier, which only a device backend fills.
/// </summary>
public sealed record TableInfo(
    string Name,
    int ItemCount,
    int OpenTrajectories,
    int ClosedTrajectories,
    long StoredSteps,
    long BytesReserved,
    long BytesUsed,
    int PagesTotal,
    int PagesFree,
    long ItemsInserted,
    long WindowsSampled,
    long ItemsEvicted,
    long ItemsRetired,
    long ItemsDeleted,
    long IgnoredPriorityUpdates,
    long IgnoredDeletes,
    double SelectionMass,
    RateLimiterState RateLimiter,
    long DeviceBytesReserved,
    long DeviceBytesUsed);
