using System.Runtime.InteropServices;

namespace Gear.ClientBenchmarks;

/// <summary>
/// The learner's stand-in work on a batch, the same for the raw and the SDK reader: read the first and last
/// value of every window of a float column. It makes both readers fault in and touch the received bytes
/// (one or two cache lines per window) without turning the benchmark into a measure of arithmetic.
/// </summary>
internal static class WindowTouch
{
    /// <summary>Σ of each window's first and last value of <paramref name="column"/> (B windows, window after window).</summary>
    public static double Sum(ReadOnlySpan<float> column, int windows)
    {
        if (windows == 0)
            return 0;
        var perWindow = column.Length / windows;
        double sum = 0;
        for (var w = 0; w < windows; w++)
        {
            var first = w * perWindow;
            sum += column[first] + column[first + perWindow - 1];
        }
        return sum;
    }

    /// <summary>The same over a column's raw bytes, as the raw reader has them.</summary>
    public static double Sum(ReadOnlySpan<byte> column, int windows) => Sum(MemoryMarshal.Cast<byte, float>(column), windows);
}
