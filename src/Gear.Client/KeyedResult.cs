namespace Gear.Client;

/// <summary>What a keyed call (UpdatePriorities, Delete) did, summed over shards.</summary>
/// <param name="Applied">Keys found and updated or removed.</param>
/// <param name="Ignored">Keys no longer present (evicted, retired or deleted).</param>
public readonly record struct KeyedResult(int Applied, int Ignored);
