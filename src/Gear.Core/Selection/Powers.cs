using System.Runtime.Intrinsics;

namespace Gear.Core.Selection;

/// <summary>
/// x^e for a batch of non-negative x and a positive e, as exp(e · log x) four at a time: a batch of 256
/// priorities or weights needs 256 powers, and scalar Math.Pow made them a quarter of a prioritized sample
/// with its update. The vector functions agree with Math.Pow to about 1e-15 relative; 0^e gives 0.
/// </summary>
internal static class Powers
{
    public static void Pow(ReadOnlySpan<double> values, double exponent, Span<double> results)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var scale = Vector256.Create(exponent);
            for (; i + Vector256<double>.Count <= values.Length; i += Vector256<double>.Count)
                Vector256.Exp(Vector256.Log(Vector256.Create(values.Slice(i, Vector256<double>.Count))) * scale).CopyTo(results[i..]);
        }

        for (; i < values.Length; i++)
            results[i] = Math.Pow(values[i], exponent);
    }
}
