using System.Runtime.CompilerServices;

namespace Gear.Core.Sampling;

/// <summary>
/// The explicit, seeded source of a request stream's random numbers (xoshiro256**, seeded through
/// SplitMix64). Selection and window placement draw from it and nothing else, so the same seed against the
/// same table state gives the same sample, and the CUDA backend can be handed the very same uniforms. Not
/// thread-safe: one per request stream.
/// </summary>
public sealed class RandomStream
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a stream from a seed; equal seeds give equal streams.</summary>
    public RandomStream(ulong seed)
    {
        Seed = seed;
        var x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>The generator's four state words (for checkpoints).</summary>
    internal (ulong, ulong, ulong, ulong) GetState() => (_s0, _s1, _s2, _s3);

    /// <summary>Sets the four state words (from a checkpoint).</summary>
    internal void SetState((ulong S0, ulong S1, ulong S2, ulong S3) state) => (_s0, _s1, _s2, _s3) = state;

    /// <summary>The seed this stream started from.</summary>
    public ulong Seed { get; }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64() => Next(ref _s0, ref _s1, ref _s2, ref _s3);

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => ToUnit(NextUInt64());

    /// <summary>Fills <paramref name="destination"/> with uniforms in [0, 1), the same values as repeated
    /// <see cref="NextDouble"/> calls.</summary>
    public void Fill(Span<double> destination)
    {
        // The state lives in locals for the loop: fields would be stored and reloaded on every number.
        var (s0, s1, s2, s3) = (_s0, _s1, _s2, _s3);
        for (var i = 0; i < destination.Length; i++)
            destination[i] = ToUnit(Next(ref s0, ref s1, ref s2, ref s3));
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    /// <summary>One xoshiro256** step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Next(ref ulong s0, ref ulong s1, ref ulong s2, ref ulong s3)
    {
        var result = ulong.RotateLeft(s1 * 5, 7) * 9;
        var t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>The top 53 bits as a double in [0, 1).</summary>
    private static double ToUnit(ulong bits) => (bits >> 11) * (1.0 / (1UL << 53));

    private static ulong SplitMix64(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
