using System.Buffers;
using System.Runtime.InteropServices;

namespace Gear.Client;

/// <summary>
/// One batch of B windows of L steps: typed views of every column (B × L × step shape, window after window),
/// the mask, and per window its item key, trajectory key, start step, shard, selection probability and
/// importance weight. Dispose it when done: its buffers go back to the pool and the views become invalid.
/// </summary>
/// <remarks>
/// On one server the column views are slices of the reply's pooled buffer (streams) or of the parsed reply
/// (unary samples). Over several shards the
/// parts are copied into one pooled buffer per column, and probabilities and weights are those of the
/// combined table: P(i) = mass_s / Σ mass × P_s(i), N = Σ item counts, w = (N·P)^−β over the batch maximum.
/// </remarks>
public sealed class SampleBatch : IDisposable
{
    private readonly TableLayout _layout;
    private readonly ReadOnlyMemory<byte>[] _columns;
    private readonly byte[][]? _pooledColumns;
    private readonly ReadOnlyMemory<byte> _mask;
    private readonly byte[]? _pooledMask;
    private readonly int[][] _shapes;
    private ulong[] _keys;
    private ulong[] _trajectoryKeys;
    private int[] _startSteps;
    private int[] _shards;
    private double[] _probabilities;
    private double[] _weights;
    private bool _disposed;

    internal SampleBatch(
        TableLayout layout, int batchSize, int windowLength, int[][] shapes,
        ReadOnlyMemory<byte>[] columns, byte[][]? pooledColumns, ReadOnlyMemory<byte> mask, byte[]? pooledMask)
    {
        _layout = layout;
        BatchSize = batchSize;
        WindowLength = windowLength;
        _shapes = shapes;
        _columns = columns;
        _pooledColumns = pooledColumns;
        _mask = mask;
        _pooledMask = pooledMask;
        _keys = ArrayPool<ulong>.Shared.Rent(batchSize);
        _trajectoryKeys = ArrayPool<ulong>.Shared.Rent(batchSize);
        _startSteps = ArrayPool<int>.Shared.Rent(batchSize);
        _shards = ArrayPool<int>.Shared.Rent(batchSize);
        _probabilities = ArrayPool<double>.Shared.Rent(batchSize);
        _weights = ArrayPool<double>.Shared.Rent(batchSize);
    }

    /// <summary>The table's columns.</summary>
    public TableLayout Layout => _layout;

    /// <summary>B: windows in this batch (fewer than asked only when items retired by max_times_sampled ran short).</summary>
    public int BatchSize { get; }

    /// <summary>L: steps per window.</summary>
    public int WindowLength { get; }

    /// <summary>The batch's position in its stream: 0, 1, 2, …</summary>
    public long Sequence { get; internal set; }

    /// <summary>N: items the batch was selected from (summed over shards).</summary>
    public long ItemCount { get; internal set; }

    /// <summary>The selection mass (Σ p^α, or the item count) of the table (summed over shards) when selected.</summary>
    public double SelectionMass { get; internal set; }

    /// <summary>Column <paramref name="name"/> as <typeparamref name="T"/>: B × L × (elements per step) values.</summary>
    /// <exception cref="ArgumentException">No such column, or <typeparamref name="T"/> is not its element type.</exception>
    public ReadOnlySpan<T> Column<T>(string name) where T : unmanaged => Column<T>(_layout[name]);

    /// <summary>Column <paramref name="column"/> (from <see cref="Layout"/>) as <typeparamref name="T"/>.</summary>
    public ReadOnlySpan<T> Column<T>(ColumnLayout column) where T : unmanaged
    {
        var bytes = Bytes(column);
        column.CheckElementType<T>();
        return MemoryMarshal.Cast<byte, T>(bytes.Span);
    }

    /// <summary>Column <paramref name="name"/> as memory, for keeping past an await or handing to a device copy.</summary>
    public ReadOnlyMemory<T> ColumnMemory<T>(string name) where T : unmanaged
    {
        var column = _layout[name];
        var bytes = Bytes(column);
        column.CheckElementType<T>();
        return new CastMemoryManager<T>(bytes).Memory;
    }

    /// <summary>Column <paramref name="name"/>'s raw little-endian bytes.</summary>
    public ReadOnlySpan<byte> ColumnBytes(string name) => Bytes(_layout[name]).Span;

    /// <summary>The shape of column <paramref name="name"/>'s view: [B, L, ...step shape].</summary>
    public ReadOnlySpan<int> Shape(string name)
    {
        ThrowIfDisposed();
        return _shapes[_layout[name].Index];
    }

    /// <summary>B × L bytes: 1 where the step is real, 0 where it is padding.</summary>
    public ReadOnlySpan<byte> Mask
    {
        get
        {
            ThrowIfDisposed();
            return _mask.Span;
        }
    }

    /// <summary>Each window's item key (on its shard).</summary>
    public ReadOnlySpan<ulong> Keys => Slice(_keys);

    /// <summary>Each window's trajectory key (on its shard).</summary>
    public ReadOnlySpan<ulong> TrajectoryKeys => Slice(_trajectoryKeys);

    /// <summary>The trajectory step at each window's first position (negative with head padding).</summary>
    public ReadOnlySpan<int> StartSteps => Slice(_startSteps);

    /// <summary>Each window's shard: the index of its server in <see cref="GearClientOptions.Endpoints"/>.</summary>
    public ReadOnlySpan<int> Shards => Slice(_shards);

    /// <summary>Each window's selection probability in the (combined) table.</summary>
    public ReadOnlySpan<double> Probabilities => Slice(_probabilities);

    /// <summary>(N·P(i))^−β normalised by the batch maximum.</summary>
    public ReadOnlySpan<double> ImportanceWeights => Slice(_weights);

    // Writable views for the assembler, before the batch is handed out.
    internal Span<ulong> KeysToFill => _keys.AsSpan(0, BatchSize);
    internal Span<ulong> TrajectoryKeysToFill => _trajectoryKeys.AsSpan(0, BatchSize);
    internal Span<int> StartStepsToFill => _startSteps.AsSpan(0, BatchSize);
    internal Span<int> ShardsToFill => _shards.AsSpan(0, BatchSize);
    internal Span<double> ProbabilitiesToFill => _probabilities.AsSpan(0, BatchSize);
    internal Span<double> WeightsToFill => _weights.AsSpan(0, BatchSize);

    /// <summary>Returns the batch's buffers to the pool. Views taken earlier must not be used afterwards.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        ArrayPool<ulong>.Shared.Return(_keys);
        ArrayPool<ulong>.Shared.Return(_trajectoryKeys);
        ArrayPool<int>.Shared.Return(_startSteps);
        ArrayPool<int>.Shared.Return(_shards);
        ArrayPool<double>.Shared.Return(_probabilities);
        ArrayPool<double>.Shared.Return(_weights);
        _keys = _trajectoryKeys = [];
        _startSteps = _shards = [];
        _probabilities = _weights = [];
        if (_pooledColumns is not null)
        {
            foreach (var buffer in _pooledColumns)
                ArrayPool<byte>.Shared.Return(buffer);
        }
        if (_pooledMask is not null)
            ArrayPool<byte>.Shared.Return(_pooledMask);
    }

    private ReadOnlyMemory<byte> Bytes(ColumnLayout column)
    {
        ThrowIfDisposed();
        if ((uint)column.Index >= (uint)_columns.Length || !ReferenceEquals(_layout.Columns[column.Index], column))
            throw new ArgumentException($"column {column.Description} is not a column of table '{_layout.Name}'", nameof(column));
        return _columns[column.Index];
    }

    private ReadOnlySpan<T> Slice<T>(T[] array)
    {
        ThrowIfDisposed();
        return array.AsSpan(0, BatchSize);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
