using Gear.Core.Tables;
using Wire = Gear.Protocol.V1;

namespace Gear.Server.Service;

/// <summary>Translates Core table snapshots into the wire's TableInfo.</summary>
internal static class TableInfoMapping
{
    /// <summary>The wire form of a table's spec and state; <paramref name="writeAheadLog"/> says whether it is logged.</summary>
    public static Wire.TableInfo ToWire(Table table, bool writeAheadLog)
    {
        var info = table.GetInfo();
        var limiter = info.RateLimiter;
        var spec = TableSpecMapping.ToWire(table.Spec);
        spec.WriteAheadLog = writeAheadLog;
        return new Wire.TableInfo
        {
            Spec = spec,
            ItemCount = info.ItemCount,
            OpenTrajectories = info.OpenTrajectories,
            ClosedTrajectories = info.ClosedTrajectories,
            StoredSteps = info.StoredSteps,
            BytesReserved = info.BytesReserved,
            BytesUsed = info.BytesUsed,
            PagesTotal = info.PagesTotal,
            PagesFree = info.PagesFree,
            ItemsInserted = info.ItemsInserted,
            WindowsSampled = info.WindowsSampled,
            ItemsEvicted = info.ItemsEvicted,
            ItemsRetired = info.ItemsRetired,
            ItemsDeleted = info.ItemsDeleted,
            IgnoredPriorityUpdates = info.IgnoredPriorityUpdates,
            IgnoredDeletes = info.IgnoredDeletes,
            SelectionMass = info.SelectionMass,
            RateLimiter = new Wire.RateLimiterState
            {
                Inserts = limiter.Inserts,
                Samples = limiter.Samples,
                Deletes = limiter.Deletes,
                Size = limiter.Size,
                BlockedInserters = limiter.BlockedInserters,
                BlockedSamplers = limiter.BlockedSamplers,
                CanInsert = limiter.CanInsertOne,
                CanSample = limiter.CanSampleOne,
            },
        };
    }
}
