using System.Globalization;

namespace Gear.Protocol.Grpc;

/// <summary>
/// The <c>grpc-timeout</c> header: a positive integer of at most 8 digits followed by a unit
/// (H, M, S, m, u, n).
/// </summary>
public static class GrpcTimeout
{
    /// <summary>The largest value the header can carry: 8 digits.</summary>
    public const long MaxValue = 99_999_999;

    // Units from finest to coarsest, in ticks (100 ns); nanoseconds are 1/100 tick, handled apart.
    private static readonly (char Unit, long Ticks)[] CoarseUnits =
    {
        ('u', TimeSpan.TicksPerMicrosecond),
        ('m', TimeSpan.TicksPerMillisecond),
        ('S', TimeSpan.TicksPerSecond),
        ('M', TimeSpan.TicksPerMinute),
        ('H', TimeSpan.TicksPerHour),
    };

    /// <summary>
    /// Formats a timeout in the finest unit whose value fits in 8 digits, rounding up so that the peer never
    /// sees a deadline earlier than ours. Zero or negative becomes <c>1n</c>: already expired, but valid.
    /// </summary>
    public static string Format(TimeSpan timeout)
    {
        long ticks = timeout.Ticks;
        if (ticks <= 0) return "1n";
        if (ticks <= MaxValue / 100) return (ticks * 100).ToString(CultureInfo.InvariantCulture) + "n";
        foreach ((char unit, long unitTicks) in CoarseUnits)
        {
            long value = ticks / unitTicks + (ticks % unitTicks == 0 ? 0 : 1);
            if (value <= MaxValue) return value.ToString(CultureInfo.InvariantCulture) + unit;
        }
        return MaxValue.ToString(CultureInfo.InvariantCulture) + "H";
    }

    /// <summary>Parses a <c>grpc-timeout</c> value; false when it does not follow the grammar.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out TimeSpan timeout)
    {
        timeout = default;
        if (text.Length < 2 || text.Length > 9) return false;
        ReadOnlySpan<char> digits = text[..^1];
        long value = 0;
        foreach (char c in digits)
        {
            if (c < '0' || c > '9') return false;
            value = value * 10 + (c - '0');
        }
        long ticks;
        switch (text[^1])
        {
            case 'n': ticks = (value + 99) / 100; break;
            case 'u': ticks = value * TimeSpan.TicksPerMicrosecond; break;
            case 'm': ticks = value * TimeSpan.TicksPerMillisecond; break;
            case 'S': ticks = value * TimeSpan.TicksPerSecond; break;
            case 'M': ticks = value * TimeSpan.TicksPerMinute; break;
            case 'H': ticks = value * TimeSpan.TicksPerHour; break;
            default: return false;
        }
        timeout = TimeSpan.FromTicks(ticks);
        return true;
    }
}
