using Gear.Protocol.V1;

namespace Gear.Client;

/// <summary>
/// A table's columns as the client needs them to build and read tensors, from the spec the server reports in
/// ListTables. Immutable; shared by writers and batch streams of the table.
/// </summary>
public sealed class TableLayout
{
    private readonly ColumnLayout[] _columns;
    private readonly Dictionary<string, ColumnLayout> _byName;

    /// <summary>Lays out <paramref name="spec"/>.</summary>
    /// <exception cref="ArgumentException">The spec has no columns, a duplicate name, or an invalid column.</exception>
    public TableLayout(TableSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec;
        if (spec.Columns.Count == 0)
            throw new ArgumentException($"table '{spec.Name}' has no columns");
        _columns = new ColumnLayout[spec.Columns.Count];
        _byName = new Dictionary<string, ColumnLayout>(_columns.Length, StringComparer.Ordinal);
        for (var i = 0; i < _columns.Length; i++)
        {
            var column = new ColumnLayout(i, spec.Columns[i]);
            if (!_byName.TryAdd(column.Name, column))
                throw new ArgumentException($"table '{spec.Name}' has two columns named '{column.Name}'");
            _columns[i] = column;
            StepBytes += column.StepBytes;
        }
    }

    /// <summary>The table's name.</summary>
    public string Name => Spec.Name;

    /// <summary>The spec this layout was made from.</summary>
    public TableSpec Spec { get; }

    /// <summary>Whether items are trajectories or steps.</summary>
    public ItemGranularity Granularity => Spec.Granularity == ItemGranularity.Step ? ItemGranularity.Step : ItemGranularity.Trajectory;

    /// <summary>The columns in spec order.</summary>
    public IReadOnlyList<ColumnLayout> Columns => _columns;

    /// <summary>Bytes of one step over all columns.</summary>
    public int StepBytes { get; }

    /// <summary>The column named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such column; the message lists the table's columns.</exception>
    public ColumnLayout this[string name] =>
        _byName.TryGetValue(name, out var column) ? column : throw UnknownColumn(name);

    /// <summary>The column at <paramref name="index"/> in spec order.</summary>
    public ColumnLayout this[int index] =>
        (uint)index < (uint)_columns.Length
            ? _columns[index]
            : throw new ArgumentOutOfRangeException(nameof(index), index, $"table '{Name}' has {_columns.Length} columns");

    /// <summary>True when every column matches <paramref name="other"/>'s in name, dtype and shape.</summary>
    public bool HasSameColumns(TableLayout other)
    {
        if (other._columns.Length != _columns.Length)
            return false;
        for (var i = 0; i < _columns.Length; i++)
        {
            if (!other.Spec.Columns[i].Equals(Spec.Columns[i]))
                return false;
        }
        return true;
    }

    private ArgumentException UnknownColumn(string name) =>
        new($"table '{Name}' has no column '{name}'; its columns are {string.Join(", ", _columns.Select(c => c.Description))}");
}
