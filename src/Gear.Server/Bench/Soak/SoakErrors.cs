using System.Collections.Concurrent;

namespace Gear.Server.Bench.Soak;

/// <summary>
/// Every error of a soak run (a non-OK status, a failed or prematurely ended stream, a failed idle call),
/// counted, with the first few kept word for word for the report.
/// </summary>
internal sealed class SoakErrors
{
    /// <summary>Errors kept word for word.</summary>
    public const int Kept = 10;

    private readonly ConcurrentQueue<string> _first = new();
    private long _count;

    /// <summary>Errors so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>The first <see cref="Kept"/> errors, each prefixed with who had it.</summary>
    public IReadOnlyList<string> First => [.. _first];

    /// <summary>Counts an error of <paramref name="who"/>.</summary>
    public void Add(string who, string problem)
    {
        if (Interlocked.Increment(ref _count) <= Kept)
            _first.Enqueue($"{who}: {problem}");
    }
}
