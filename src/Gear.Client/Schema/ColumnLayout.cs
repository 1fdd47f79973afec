using System.Runtime.CompilerServices;
using Gear.Protocol.V1;

namespace Gear.Client;

/// <summary>One column of a table as the client lays it out: dtype, per-step shape and byte sizes.</summary>
public sealed class ColumnLayout
{
    private readonly int[] _stepShape;

    internal ColumnLayout(int index, ColumnSpec spec)
    {
        Index = index;
        Name = spec.Name;
        DType = spec.Dtype;
        ElementSize = ElementTypes.SizeOf(spec.Dtype);
        _stepShape = spec.Shape.ToArray();
        long elements = 1;
        foreach (var dimension in _stepShape)
        {
            if (dimension < 1)
                throw new ArgumentException($"column '{Name}' has dimension {dimension}; every dimension must be at least 1");
            elements *= dimension;
        }
        if (elements * ElementSize > int.MaxValue)
            throw new ArgumentException($"column '{Name}' has {elements} elements per step, more than the client can address");
        ElementsPerStep = (int)elements;
        StepBytes = ElementsPerStep * ElementSize;
        Description = $"'{Name}' ({ElementTypes.NameOf(DType)}[{string.Join(',', _stepShape)}])";
    }

    /// <summary>Position of the column in the table spec (and on the wire).</summary>
    public int Index { get; }

    /// <summary>The column's name.</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>The shape of one step; empty for a scalar.</summary>
    public ReadOnlySpan<int> StepShape => _stepShape;

    /// <summary>Bytes per element.</summary>
    public int ElementSize { get; }

    /// <summary>Elements in one step (the product of <see cref="StepShape"/>; 1 for a scalar).</summary>
    public int ElementsPerStep { get; }

    /// <summary>Bytes in one step.</summary>
    public int StepBytes { get; }

    /// <summary>The column as messages name it: <c>'obs' (u8[4,84,84])</c>.</summary>
    public string Description { get; }

    /// <summary>Throws unless <typeparamref name="T"/> is an element type of this column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void CheckElementType<T>() where T : unmanaged
    {
        if (!ElementTypes.Matches<T>(DType))
            ThrowWrongType(typeof(T));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowWrongType(Type type) =>
        throw new ArgumentException(
            $"column {Description} holds {ElementTypes.NameOf(DType)} elements; got {type.Name} values (use {ElementTypes.ClrNameOf(DType)})");

    /// <inheritdoc />
    public override string ToString() => Description;
}
