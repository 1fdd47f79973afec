using System.Diagnostics;

namespace Gear.Core.Compute;

/// <summary>
/// The one way the backend benchmark times an operation and the copy it is compared with "like for like": one call
/// at a time, a Stopwatch around each call alone (what prepares the next call is not counted), summed until about
/// a given duration of calls has been measured, after one warm-up call. Each call's fixed costs (launch, wait,
/// the host's side) are therefore in the figure, as a caller that waits for each operation sees them.
/// </summary>
internal static class PerCallTiming
{
    /// <summary>
    /// Runs <paramref name="prepare"/> then <paramref name="call"/> once to warm up, then again and again until
    /// <paramref name="duration"/> of <paramref name="call"/> alone has been measured; returns seconds per call.
    /// </summary>
    public static double SecondsPerCall(Action prepare, Action call, TimeSpan duration)
    {
        prepare();
        call(); // warm-up: first-touch mappings, compiled kernels, grown scratch
        var calls = 0L;
        var measured = TimeSpan.Zero;
        var clock = new Stopwatch();
        while (measured < duration)
        {
            prepare();
            clock.Restart();
            call();
            measured += clock.Elapsed;
            calls++;
        }
        return measured.TotalSeconds / calls;
    }
}
