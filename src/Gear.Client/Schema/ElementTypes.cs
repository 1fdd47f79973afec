using Gear.Protocol.V1;

namespace Gear.Client;

/// <summary>
/// Which .NET element types stand for which column dtype, and their sizes. A span of the wrong type is
/// refused rather than reinterpreted: a float span written into an i32 column would be silently garbage.
/// </summary>
public static class ElementTypes
{
    /// <summary>Bytes per element of <paramref name="dtype"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a valid dtype.</exception>
    public static int SizeOf(DType dtype) => dtype switch
    {
        DType.U8 or DType.I8 or DType.Bool => 1,
        DType.I16 or DType.F16 or DType.Bf16 => 2,
        DType.I32 or DType.F32 => 4,
        DType.I64 or DType.F64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a valid column dtype"),
    };

    /// <summary>The dtype's short name as the docs write it: u8, i8, i16, i32, i64, f16, bf16, f32, f64, bool.</summary>
    public static string NameOf(DType dtype) => dtype switch
    {
        DType.U8 => "u8",
        DType.I8 => "i8",
        DType.I16 => "i16",
        DType.I32 => "i32",
        DType.I64 => "i64",
        DType.F16 => "f16",
        DType.Bf16 => "bf16",
        DType.F32 => "f32",
        DType.F64 => "f64",
        DType.Bool => "bool",
        _ => dtype.ToString(),
    };

    /// <summary>
    /// True when <typeparamref name="T"/> is a .NET type for <paramref name="dtype"/>: byte for u8, sbyte for
    /// i8, short for i16, int for i32, long for i64, Half (or its raw bits as ushort) for f16, ushort (raw bits)
    /// for bf16, float for f32, double for f64, and bool (or byte 0/1) for bool.
    /// </summary>
    public static bool Matches<T>(DType dtype) where T : unmanaged =>
        // typeof(T) comparisons are constants once the JIT specialises T: no cost on the append path.
        dtype switch
        {
            DType.U8 => typeof(T) == typeof(byte),
            DType.I8 => typeof(T) == typeof(sbyte),
            DType.I16 => typeof(T) == typeof(short),
            DType.I32 => typeof(T) == typeof(int),
            DType.I64 => typeof(T) == typeof(long),
            DType.F16 => typeof(T) == typeof(Half) || typeof(T) == typeof(ushort),
            DType.Bf16 => typeof(T) == typeof(ushort),
            DType.F32 => typeof(T) == typeof(float),
            DType.F64 => typeof(T) == typeof(double),
            DType.Bool => typeof(T) == typeof(bool) || typeof(T) == typeof(byte),
            _ => false,
        };

    /// <summary>The .NET type to use for <paramref name="dtype"/>, for messages.</summary>
    internal static string ClrNameOf(DType dtype) => dtype switch
    {
        DType.U8 => "byte",
        DType.I8 => "sbyte",
        DType.I16 => "short",
        DType.I32 => "int",
        DType.I64 => "long",
        DType.F16 => "Half",
        DType.Bf16 => "ushort (raw bfloat16 bits)",
        DType.F32 => "float",
        DType.F64 => "double",
        DType.Bool => "bool",
        _ => "?",
    };
}
