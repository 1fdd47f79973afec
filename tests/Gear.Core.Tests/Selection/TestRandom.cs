namespace Gear.Core.Tests.Selection;

/// <summary>
/// xorshift64* with a fixed seed: a tiny, reproducible source of uniforms in [0, 1) for selector tests, so a
/// failure replays exactly.
/// </summary>
internal sealed class TestRandom
{
    private ulong _state;

    public TestRandom(ulong seed) => _state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;

    public ulong NextUInt64()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return _state * 0x2545F4914F6CDD1DUL;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, bound).</summary>
    public int NextInt(int bound) => (int)(NextDouble() * bound);

    public void Fill(Span<double> uniforms)
    {
        for (int i = 0; i < uniforms.Length; i++)
        {
            uniforms[i] = NextDouble();
        }
    }
}
