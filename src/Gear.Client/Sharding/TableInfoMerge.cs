using Gear.Protocol.V1;

namespace Gear.Client;

/// <summary>One table as several shards hold it: the first shard's spec, the counters summed.</summary>
internal static class TableInfoMerge
{
    public static TableInfo Merge(IReadOnlyList<TableInfo> shards)
    {
        var merged = shards[0].Clone();
        merged.RateLimiter ??= new RateLimiterState();
        for (var s = 1; s < shards.Count; s++)
        {
            var info = shards[s];
            merged.ItemCount += info.ItemCount;
            merged.OpenTrajectories += info.OpenTrajectories;
            merged.ClosedTrajectories += info.ClosedTrajectories;
            merged.StoredSteps += info.StoredSteps;
            merged.BytesReserved += info.BytesReserved;
            merged.BytesUsed += info.BytesUsed;
            merged.PagesTotal += info.PagesTotal;
            merged.PagesFree += info.PagesFree;
            merged.ItemsInserted += info.ItemsInserted;
            merged.WindowsSampled += info.WindowsSampled;
            merged.ItemsEvicted += info.ItemsEvicted;
            merged.ItemsRetired += info.ItemsRetired;
            merged.ItemsDeleted += info.ItemsDeleted;
            merged.IgnoredPriorityUpdates += info.IgnoredPriorityUpdates;
            merged.IgnoredDeletes += info.IgnoredDeletes;
            merged.SelectionMass += info.SelectionMass;
            if (info.RateLimiter is { } limiter)
            {
                var sum = merged.RateLimiter;
                sum.Inserts += limiter.Inserts;
                sum.Samples += limiter.Samples;
                sum.Deletes += limiter.Deletes;
                sum.Size += limiter.Size;
                sum.BlockedInserters += limiter.BlockedInserters;
                sum.BlockedSamplers += limiter.BlockedSamplers;
                // Each shard limits itself: the whole can insert (sample) where any shard can.
                sum.CanInsert |= limiter.CanInsert;
                sum.CanSample |= limiter.CanSample;
            }
        }
        return merged;
    }
}
