namespace Gear.Client;

/// <summary>A run of windows taken from one shard's batch: windows [Start, Start + Count) of <see cref="Batch"/>.</summary>
internal readonly record struct ShardWindows(SampleBatch Batch, int Start, int Count, int Shard);
