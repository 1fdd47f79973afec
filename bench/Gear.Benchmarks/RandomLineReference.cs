using BenchmarkDotNet.Attributes;
using Gear.Core.Storage;

namespace Gear.Benchmarks;

/// <summary>
/// The machine's ceiling for random small reads: one byte from each of 4,096 random cache lines of a 256 MiB
/// buffer (huge-page backed like a table's arena), walking a random permutation of all its lines so that no
/// line is read again until every other has been, and with loads independent of one another so that the core
/// can overlap as many misses as it has room for. Time per line, times the lines a sampled item
/// touches, bounds what any table with this layout can sample per second on this machine.
/// </summary>
[Config(typeof(BenchConfig))]
public unsafe class RandomLineReference
{
    private const int Lines = 4096;
    private const long BufferBytes = 256L << 20;
    private NativeBuffer _buffer = null!;
    private long[] _offsets = [];
    private int _cursor;

    /// <summary>Allocates and touches the buffer, and draws the offsets.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _buffer = new NativeBuffer(BufferBytes);
        for (long at = 0; at < BufferBytes; at += 4096)
            _buffer.Pointer[at] = 1;
        _offsets = Enumerable.Range(0, (int)(BufferBytes / 64)).Select(line => line * 64L).ToArray();
        new Random(1).Shuffle(_offsets);
    }

    /// <summary>Reads one byte of each random line; per operation = per line.</summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    public long ReadRandomLines()
    {
        var pointer = _buffer.Pointer;
        if (_cursor + Lines > _offsets.Length)
            _cursor = 0;
        long sum = 0;
        foreach (var offset in _offsets.AsSpan(_cursor, Lines))
            sum += pointer[offset];
        _cursor += Lines;
        return sum;
    }

    /// <summary>Frees the buffer.</summary>
    [GlobalCleanup]
    public void Cleanup() => _buffer.Dispose();
}
