namespace Gear.Core.RateLimiting;

/// <summary>
/// A consistent snapshot of a <see cref="RateLimiter"/> (all fields read under its lock).
/// </summary>
/// <param name="Inserts">Inserts counted since creation or the last reset.</param>
/// <param name="Samples">Samples counted since creation or the last reset.</param>
/// <param name="Deletes">Deletes recorded since creation or the last reset.</param>
/// <param name="Size">Items in the table as the limiter sees it: <c>Inserts − Deletes</c>.</param>
/// <param name="BlockedInserters">Insert acquisitions waiting now.</param>
/// <param name="BlockedSamplers">Sample acquisitions waiting now.</param>
/// <param name="CanInsertOne">Reverb's <c>CanInsert(1)</c> on the counters (ignores queued waiters).</param>
/// <param name="CanSampleOne">Reverb's <c>CanSample(1)</c> on the counters (ignores queued waiters).</param>
public readonly record struct RateLimiterState(
    long Inserts,
    long Samples,
    long Deletes,
    long Size,
    int BlockedInserters,
    int BlockedSamplers,
    bool CanInsertOne,
    bool CanSampleOne);
