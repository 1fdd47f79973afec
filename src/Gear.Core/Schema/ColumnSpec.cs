using Gear.Core.Errors;

namespace Gear.Core.Schema;

/// <summary>
/// One column of a table: a name, an element type and the shape of one step's value (an empty shape is a
/// scalar). A step of this column occupies <see cref="StepBytes"/> bytes, little-endian, row-major.
/// </summary>
public sealed class ColumnSpec
{
    /// <summary>Largest step of one column, in bytes (1 GiB): keeps page arithmetic well inside 64 bits.</summary>
    public const long MaxStepBytes = 1L << 30;

    private readonly int[] _shape;

    /// <summary>Creates and validates a column spec.</summary>
    /// <exception cref="GearException">InvalidArgument: empty name, unknown dtype, or a dimension below 1.</exception>
    public ColumnSpec(string name, DType dtype, params int[] shape)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw GearException.InvalidArgument("column name must not be empty");
        if (!DTypes.IsDefined(dtype))
            throw GearException.InvalidArgument($"column '{name}': unknown dtype {(int)dtype}");
        ArgumentNullException.ThrowIfNull(shape);

        long elements = 1;
        for (var i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 1)
                throw GearException.InvalidArgument(
                    $"column '{name}': shape [{string.Join(", ", shape)}] has dimension {i} of size {shape[i]}; every dimension must be at least 1");
            elements *= shape[i];
            if (elements * dtype.SizeOf() > MaxStepBytes)
                throw GearException.InvalidArgument(
                    $"column '{name}': one step of shape [{string.Join(", ", shape)}] exceeds {MaxStepBytes} bytes");
        }

        Name = name;
        DType = dtype;
        _shape = (int[])shape.Clone();
        ElementCount = elements;
        StepBytes = (int)(elements * dtype.SizeOf());
    }

    /// <summary>The column's name, unique within its table.</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The shape of one step's value (empty for a scalar).</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>Elements in one step.</summary>
    public long ElementCount { get; }

    /// <summary>Bytes in one step.</summary>
    public int StepBytes { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {DType.Name()}[{string.Join(",", _shape)}]";
}
