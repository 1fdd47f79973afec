using System.Runtime.InteropServices;
using Gear.Core.Errors;
using Gear.Core.Schema;
using Gear.Core.Storage;

namespace Gear.Core.Sampling;

/// <summary>
/// A caller-owned output for samples of one table's columns: one contiguous buffer per column holding
/// B × L steps (window-major, then step, then the step's elements), a mask of valid steps, and per window
/// the item key, start step, probability and importance weight. Allocate it once per request stream and reuse
/// it: sampling into it allocates nothing. Column buffers live in aligned unmanaged memory that never moves,
/// so a transport can send them and a device can write them without a copy.
/// </summary>
public sealed unsafe class WindowBatch : IDisposable
{
    private readonly NativeBuffer[]? _columns; // null, and _mask too: the windows go to device memory (a DeviceBatch)
    private readonly int[] _stepBytes;
    private readonly NativeBuffer? _mask;
    private readonly ulong[] _keys;
    private readonly ulong[] _trajectoryKeys;
    private readonly int[] _starts;
    private readonly double[] _probabilities;
    private readonly double[] _weights;

    /// <summary>Allocates buffers for <paramref name="batchSize"/> windows of <paramref name="windowLength"/> steps.</summary>
    /// <exception cref="GearException">InvalidArgument when the geometry is out of range or a buffer would exceed 2 GiB.</exception>
    public WindowBatch(IReadOnlyList<ColumnSpec> columns, int batchSize, int windowLength)
        : this(columns, batchSize, windowLength, hostBuffers: true)
    {
    }

    /// <summary>
    /// With <paramref name="hostBuffers"/> false, no column buffers and no mask on the host: for a
    /// <see cref="Compute.Cuda.DeviceBatch"/>, whose gathers write them in device memory (host copies would reserve
    /// the same bytes for nothing, and a host mask would go stale).
    /// </summary>
    private WindowBatch(IReadOnlyList<ColumnSpec> columns, int batchSize, int windowLength, bool hostBuffers)
    {
        new SampleRequest(batchSize, windowLength).Validate();
        ArgumentNullException.ThrowIfNull(columns);
        var steps = (long)batchSize * windowLength;
        foreach (var column in columns)
        {
            if (steps * column.StepBytes > int.MaxValue)
                throw GearException.InvalidArgument(
                    $"a batch of {batchSize} windows of {windowLength} steps needs {steps * column.StepBytes} bytes for column '{column.Name}'; at most {int.MaxValue} are supported");
        }
        if (steps > int.MaxValue)
            throw GearException.InvalidArgument($"a batch of {batchSize} windows of {windowLength} steps is too large");

        BatchSize = batchSize;
        WindowLength = windowLength;
        Columns = columns;
        _stepBytes = columns.Select(c => c.StepBytes).ToArray();
        _columns = hostBuffers ? columns.Select(c => new NativeBuffer(steps * c.StepBytes)).ToArray() : null;
        _mask = hostBuffers ? new NativeBuffer(steps) : null;
        _keys = new ulong[batchSize];
        _trajectoryKeys = new ulong[batchSize];
        _starts = new int[batchSize];
        _probabilities = new double[batchSize];
        _weights = new double[batchSize];
        Slots = new int[batchSize];
        SelectionUniforms = new double[batchSize];
        PlacementUniforms = new double[batchSize];
        Sources = new WindowSource[batchSize];
        Runs = new Compute.Cpu.WindowRun[batchSize];
    }

    /// <summary>A batch whose windows a device backend gathers into device memory: metadata on the host, no column buffers, no mask.</summary>
    internal static WindowBatch WithoutHostBuffers(IReadOnlyList<ColumnSpec> columns, int batchSize, int windowLength) =>
        new(columns, batchSize, windowLength, hostBuffers: false);

    /// <summary>The columns this batch holds, in table order.</summary>
    public IReadOnlyList<ColumnSpec> Columns { get; }

    /// <summary>Windows this batch can hold (B).</summary>
    public int BatchSize { get; }

    /// <summary>Steps per window (L).</summary>
    public int WindowLength { get; }

    /// <summary>Windows filled by the last sample (at most <see cref="BatchSize"/>).</summary>
    public int Count { get; internal set; }

    /// <summary>Items the table could choose from when this batch was selected (N of the importance weights).</summary>
    public int ItemCount { get; internal set; }

    /// <summary>The sampler's selection mass when this batch was selected (Σ p^α, or the item count).</summary>
    public double SelectionMass { get; internal set; }

    /// <summary>Bytes of one window of <paramref name="column"/>.</summary>
    public int WindowBytes(int column) => _stepBytes[column] * WindowLength;

    /// <summary>The filled part of <paramref name="column"/>'s buffer: Count × L steps.</summary>
    public Span<byte> Column(int column) => new(HostColumn(column).Pointer, Count * WindowBytes(column));

    /// <summary>The filled part of <paramref name="column"/>'s buffer, as elements of <typeparamref name="T"/>.</summary>
    public Span<T> Column<T>(int column) where T : unmanaged => MemoryMarshal.Cast<byte, T>(Column(column));

    /// <summary>Whether each of the Count × L positions holds a real step (false: padding, zero-filled).</summary>
    public ReadOnlySpan<bool> Mask => new(HostMask.Pointer, Count * WindowLength);

    /// <summary>
    /// Positions [First, End) of window <paramref name="window"/> that hold real steps; the positions before and
    /// after are padding (zero-filled, false in the mask). Valid after a sample, for windows below <see cref="Count"/>.
    /// </summary>
    public (int First, int End) ValidPositions(int window)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(window);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(window, Count);
        return Sources[window].ValidPositions(WindowLength);
    }

    /// <summary>Item key of each window.</summary>
    public ReadOnlySpan<ulong> Keys => _keys.AsSpan(0, Count);

    /// <summary>Key of the trajectory each window was gathered from (equal to <see cref="Keys"/> for trajectory items).</summary>
    public ReadOnlySpan<ulong> TrajectoryKeys => _trajectoryKeys.AsSpan(0, Count);

    /// <summary>Trajectory step at each window's first position (negative with head padding).</summary>
    public ReadOnlySpan<int> StartSteps => _starts.AsSpan(0, Count);

    /// <summary>Probability with which each window's item was selected.</summary>
    public ReadOnlySpan<double> Probabilities => _probabilities.AsSpan(0, Count);

    /// <summary>Importance weight of each window, (N·P(i))^−β normalised so that the largest is 1.</summary>
    public ReadOnlySpan<double> ImportanceWeights => _weights.AsSpan(0, Count);

    /// <summary>
    /// Start of column <paramref name="column"/>'s native buffer (room for the full batch), for code that sends
    /// or copies the gathered bytes without a managed copy. Valid until the batch is disposed.
    /// </summary>
    public byte* ColumnPointer(int column) => HostColumn(column).Pointer;

    /// <summary>Start of the mask's native buffer (room for the full batch). Valid until the batch is disposed.</summary>
    public bool* MaskPointer => (bool*)HostMask.Pointer;

    internal Span<ulong> KeysBuffer => _keys;

    internal Span<ulong> TrajectoryKeysBuffer => _trajectoryKeys;

    internal Span<int> StartsBuffer => _starts;

    internal Span<double> ProbabilitiesBuffer => _probabilities;

    internal Span<double> WeightsBuffer => _weights;

    // Scratch the table fills while it selects under its lock; kept here because a batch belongs to one
    // request stream, so nothing is shared and nothing is allocated per sample.
    internal int[] Slots { get; }

    internal double[] SelectionUniforms { get; }

    internal double[] PlacementUniforms { get; }

    internal WindowSource[] Sources { get; }

    // The CPU gather's per-window plan; it lives with the batch for the same reason as the scratch above.
    internal Compute.Cpu.WindowRun[] Runs { get; }

    /// <summary>The table whose pages this batch holds (see <see cref="Tables.Table.SampleHeldAsync"/>); null when it holds none.</summary>
    internal Tables.Table? HeldBy { get; set; }

    /// <summary>Bytes reserved for <paramref name="column"/>'s buffer (room for the full batch, page-aligned).</summary>
    internal long ColumnCapacity(int column) => HostColumn(column).Capacity;

    /// <summary>Bytes reserved for the mask (room for the full batch, page-aligned).</summary>
    internal long MaskCapacity => HostMask.Capacity;

    /// <summary>Whether <see cref="Dispose"/> has run: the buffers are gone and nothing may be sampled into the batch.</summary>
    internal bool IsDisposed { get; private set; }

    /// <summary>Whether the gathered windows and mask land in host buffers (false for a <see cref="Compute.Cuda.DeviceBatch"/>'s).</summary>
    internal bool HasHostBuffers => _columns is not null;

    private NativeBuffer HostColumn(int column) => _columns?[column] ?? throw NoHostBuffers("column buffers", "CopyColumnToHost");

    private NativeBuffer HostMask => _mask ?? throw NoHostBuffers("mask", "CopyMaskToHost");

    private static InvalidOperationException NoHostBuffers(string what, string copy) => new(
        $"This batch's windows are gathered into device memory (a DeviceBatch) and it has no host {what}: read them on the device, or copy them with DeviceBatch.{copy}.");

    /// <summary>
    /// A device backend's registration of this batch's buffers (page-locked and mapped, so its kernels write the
    /// gathered windows straight into them); disposed before the buffers are freed.
    /// </summary>
    internal IDisposable? DeviceMapping { get; set; }

    /// <summary>Whether this batch's columns have the same step sizes as <paramref name="columns"/>.</summary>
    internal bool Fits(IReadOnlyList<ColumnSpec> columns)
    {
        if (columns.Count != _stepBytes.Length)
            return false;
        for (var c = 0; c < columns.Count; c++)
        {
            if (columns[c].StepBytes != _stepBytes[c])
                return false;
        }
        return true;
    }

    /// <inheritdoc/>
    /// <remarks>A batch that still holds a table's pages (<see cref="Tables.Table.SampleHeldAsync"/>) releases them first.</remarks>
    public void Dispose()
    {
        HeldBy?.ReleaseHeld(this);
        IsDisposed = true;
        DeviceMapping?.Dispose();
        DeviceMapping = null;
        foreach (var column in _columns ?? [])
            column.Dispose();
        _mask?.Dispose();
    }
}
