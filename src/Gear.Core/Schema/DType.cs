namespace Gear.Core.Schema;

/// <summary>The element types a column may hold. Values are stable: they travel on the wire.</summary>
public enum DType
{
    /// <summary>Unsigned 8-bit integer.</summary>
    U8 = 1,
    /// <summary>Signed 8-bit integer.</summary>
    I8 = 2,
    /// <summary>Signed 16-bit integer.</summary>
    I16 = 3,
    /// <summary>Signed 32-bit integer.</summary>
    I32 = 4,
    /// <summary>Signed 64-bit integer.</summary>
    I64 = 5,
    /// <summary>IEEE 754 half precision.</summary>
    F16 = 6,
    /// <summary>bfloat16 (the upper half of an f32).</summary>
    BF16 = 7,
    /// <summary>IEEE 754 single precision.</summary>
    F32 = 8,
    /// <summary>IEEE 754 double precision.</summary>
    F64 = 9,
    /// <summary>One byte per value, 0 or 1.</summary>
    Bool = 10,
}

/// <summary>Facts about <see cref="DType"/> values.</summary>
public static class DTypes
{
    /// <summary>Every defined dtype, in wire order.</summary>
    public static IReadOnlyList<DType> All { get; } =
        [DType.U8, DType.I8, DType.I16, DType.I32, DType.I64, DType.F16, DType.BF16, DType.F32, DType.F64, DType.Bool];

    /// <summary>Bytes per element.</summary>
    public static int SizeOf(this DType dtype) => dtype switch
    {
        DType.U8 or DType.I8 or DType.Bool => 1,
        DType.I16 or DType.F16 or DType.BF16 => 2,
        DType.I32 or DType.F32 => 4,
        DType.I64 or DType.F64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>Whether <paramref name="dtype"/> is one of the defined values (wire input may hold any integer).</summary>
    public static bool IsDefined(DType dtype) => dtype is >= DType.U8 and <= DType.Bool;

    /// <summary>The lower-case name used in configs and messages ("f32", "bool").</summary>
    public static string Name(this DType dtype) => IsDefined(dtype) ? dtype.ToString().ToLowerInvariant() : $"dtype({(int)dtype})";

    /// <summary>Parses a dtype name such as "u8" or "bf16" (case-insensitive).</summary>
    public static bool TryParse(string name, out DType dtype)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.Name(), name, StringComparison.OrdinalIgnoreCase))
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }
}
