using Gear.Protocol.V1;

namespace Gear.ClientBenchmarks;

/// <summary>
/// A table a client benchmark samples, with how it is filled and how it is sampled. The geometries are
/// DESIGN.md's W2 and W4, as <c>gear bench</c> uses them, so the figures compare with bench/RESULTS.md's
/// service section.
/// </summary>
/// <param name="Name">The table's name on every server.</param>
/// <param name="Columns">The step columns (float columns are the ones the readers touch).</param>
/// <param name="FillSteps">Steps written before sampling (across all shards).</param>
/// <param name="TrajectorySteps">Steps per trajectory when filling.</param>
/// <param name="Granularity">Step items (transitions) or trajectory items (long windows).</param>
/// <param name="BatchSize">B: windows per batch.</param>
/// <param name="WindowLength">L: steps per window.</param>
internal sealed record BenchTable(
    string Name, IReadOnlyList<ColumnSpec> Columns, int FillSteps, int TrajectorySteps, ItemGranularity Granularity,
    int BatchSize, int WindowLength)
{
    /// <summary>Batches the server (SampleStream) or the client (several shards) gathers ahead; both paths use the same.</summary>
    public const int BatchesInFlight = 2;

    /// <summary>W2 MuJoCo transitions: obs f32[17], action f32[6], reward f32, done bool (97 B); 256 windows of 1 step.</summary>
    public static BenchTable W2(string name, double scale) => new(
        name,
        [Column("obs", DType.F32, 17), Column("action", DType.F32, 6), Column("reward", DType.F32), Column("done", DType.Bool)],
        Scaled(1_000_000, 1000, scale), 1000, ItemGranularity.Step, 256, 1);

    /// <summary>W4 long windows: f32[256] (1,024 B) in trajectories of 4,096 steps; 32 windows of 512 steps.</summary>
    public static BenchTable W4(string name, double scale) => new(
        name, [Column("x", DType.F32, 256)], Scaled(131_072, 4096, scale), 4096, ItemGranularity.Trajectory, 32, 512);

    /// <summary>Bytes of one step over all columns.</summary>
    public int StepBytes => Columns.Sum(StepBytesOf);

    /// <summary>Bytes of one step of <paramref name="column"/>.</summary>
    public int StepBytesOf(ColumnSpec column) => ElementBytes(column.Dtype) * column.Shape.Aggregate(1, (n, d) => n * d);

    /// <summary>Step bytes in one batch (B × L × step bytes): what MB/s counts, as <c>gear bench</c> does.</summary>
    public long BatchBytes => (long)BatchSize * WindowLength * StepBytes;

    /// <summary>
    /// Where a window sits: at the sampled step for step items (a transition), anywhere inside the trajectory
    /// for trajectory items, as <c>gear bench</c> asks.
    /// </summary>
    public WindowPlacement Placement => Granularity == ItemGranularity.Step ? WindowPlacement.Start : WindowPlacement.Uniform;

    /// <summary>A raw sample request of <paramref name="windows"/> windows (the batch size unless a shard's share).</summary>
    public SampleRequest SampleRequest(int windows) =>
        new() { Table = Name, BatchSize = windows, WindowLength = WindowLength, Placement = Placement };

    /// <summary>Indexes of the f32 columns, which every reader touches the same way (<see cref="WindowTouch"/>).</summary>
    public int[] FloatColumnIndexes() =>
        Columns.Select((column, index) => (column, index)).Where(c => c.column.Dtype == DType.F32).Select(c => c.index).ToArray();

    /// <summary>
    /// The spec each server gets: room for every fill trajectory on each shard, in whole pages (a shard then
    /// holds whatever share the hash ring routes to it and nothing is evicted), uniform sampling, FIFO removal,
    /// sampling from the first item.
    /// </summary>
    public TableSpec Spec() => new()
    {
        Name = Name,
        Columns = { Columns },
        HostCapacityBytes = (long)(FillSteps / TrajectorySteps) * RoundUpToPage(TrajectorySteps) * StepBytes,
        MaxTrajectories = Math.Max(64, FillSteps / TrajectorySteps * 2),
        Granularity = Granularity,
        Sampler = Selector.Uniform,
        Remover = Selector.Fifo,
        RateLimiter = new RateLimiterSpec { MinSize = new RateLimiterSpec.Types.MinSize { MinSizeToSample = 1 } },
    };

    // A trajectory's steps start on a fresh page of the server's default 32 steps.
    private static int RoundUpToPage(int steps) => (steps + PageSteps - 1) / PageSteps * PageSteps;

    private const int PageSteps = 32;

    private static ColumnSpec Column(string name, DType dtype, params int[] shape) => new() { Name = name, Dtype = dtype, Shape = { shape } };

    private static int ElementBytes(DType dtype) => dtype switch
    {
        DType.F32 => 4,
        DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "the benchmark tables use f32 and bool only"),
    };

    // A scaled-down table (smoke tests) still holds whole trajectories, at least two.
    private static int Scaled(int steps, int trajectorySteps, double scale) =>
        Math.Max(2, (int)Math.Round(steps * scale / trajectorySteps)) * trajectorySteps;
}
