using Gear.Protocol.V1;

namespace Gear.Client;

/// <summary>What a learner samples: B windows of L steps from a table, and how.</summary>
public sealed class SampleOptions
{
    /// <summary>Samples <paramref name="table"/>.</summary>
    public SampleOptions(string table)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        Table = table;
    }

    /// <summary>The table.</summary>
    public string Table { get; }

    /// <summary>B: windows per batch (default 256).</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>L: steps per window (default 1, transitions).</summary>
    public int WindowLength { get; init; } = 1;

    /// <summary>Where each window sits in its item's trajectory.</summary>
    public WindowPlacement Placement { get; init; } = WindowPlacement.Uniform;

    /// <summary>Which end of a short window holds the padding.</summary>
    public PaddingSide Padding { get; init; } = PaddingSide.Tail;

    /// <summary>β of the importance weights (N·P(i))^−β; 0 (the default) makes every weight 1.</summary>
    public double ImportanceExponent { get; init; }

    /// <summary>
    /// Seed of the selection randoms (0, the default, lets each server choose). With several shards it also
    /// seeds the client's split of each batch among them.
    /// </summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// Batches gathered ahead of the learner's reading, 1 to 64 (default 2): SampleStream's
    /// batches_in_flight on one server, the client's prefetch queue over several.
    /// </summary>
    public int BatchesInFlight { get; init; } = 2;

    /// <summary>Batches before the stream ends; 0 (the default) means until the stream is disposed.</summary>
    public long MaxBatches { get; init; }

    /// <summary>
    /// Whether a single-server stream may use the server's TCP data plane (default true): the client asks
    /// OpenDataPlane and receives frames on their own connection, falling back to SampleStream where the server
    /// has no data plane or it cannot be reached. False always uses SampleStream. Streams over https stay on
    /// gRPC, since the data plane is not encrypted; several shards use gRPC streams too.
    /// </summary>
    public bool UseDataPlane { get; init; } = true;

    /// <summary>
    /// Several shards: how old a shard's known selection mass may get before it is asked again (default 1 s).
    /// Masses also refresh from every sample reply; this matters for shards that got no windows lately.
    /// </summary>
    public TimeSpan MassRefreshInterval { get; init; } = TimeSpan.FromSeconds(1);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(WindowLength, 1, nameof(WindowLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchesInFlight, 1, nameof(BatchesInFlight));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(BatchesInFlight, 64, nameof(BatchesInFlight));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxBatches, nameof(MaxBatches));
        if (!double.IsFinite(ImportanceExponent) || ImportanceExponent < 0)
            throw new ArgumentOutOfRangeException(nameof(ImportanceExponent), ImportanceExponent, "must be finite and not negative");
    }

    internal SampleRequest ToRequest(int batchSize, ulong seed) => new()
    {
        Table = Table,
        BatchSize = batchSize,
        WindowLength = WindowLength,
        Placement = Placement,
        Padding = Padding,
        ImportanceExponent = ImportanceExponent,
        Seed = seed,
    };

    /// <summary>
    /// The request that opens a stream (SampleStream or a data-plane session) for the batches not yet
    /// delivered. A stream opened again must not repeat an earlier opening's selections: opening number
    /// <paramref name="opened"/> (0 for the first) gets its own seed.
    /// </summary>
    internal SampleStreamRequest ToStreamRequest(long delivered, int opened) => new()
    {
        Sample = ToRequest(BatchSize, Seed == 0 ? 0 : Seed + (ulong)opened),
        MaxBatches = MaxBatches == 0 ? 0 : MaxBatches - delivered,
        BatchesInFlight = BatchesInFlight,
    };
}
