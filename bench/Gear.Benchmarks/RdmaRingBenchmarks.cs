using BenchmarkDotNet.Attributes;
using Gear.Protocol.Tests.Rdma;

namespace Gear.Benchmarks;

/// <summary>
/// The RDMA data plane's own cost per batch, against the loopback device: the server waits for a credit and
/// posts a write with immediate data, the learner polls the frame's completion and returns the slot (a receive
/// posted again and a credit sent), the server polls the credit. Every post and poll goes through the ops table
/// as on a real adapter; the loopback's "wire" is a memcpy of the frame, so the memcpy of the same bytes is the
/// reference, and the difference is what the transport adds per batch. It must allocate nothing.
/// </summary>
[Config(typeof(BenchConfig))]
public class RdmaRingBenchmarks
{
    private const int Slots = 4;

    private LoopbackRing _ring = null!;
    private byte[] _source = null!;
    private byte[] _destination = null!;

    /// <summary>Bytes per frame: a tiny frame (the transport's overhead alone) and a W2-sized batch (256 × 97 B steps plus header).</summary>
    [Params(64, 32 * 1024)]
    public int FrameBytes { get; set; }

    /// <summary>Connects a writer and a reader over a fresh loopback device.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _ring = new LoopbackRing(Slots, FrameBytes);
        _source = new byte[FrameBytes];
        _destination = new byte[FrameBytes];
    }

    /// <summary>Releases the queue pairs, regions and device.</summary>
    [GlobalCleanup]
    public void Cleanup() => _ring.Dispose();

    /// <summary>Reference: a memcpy of the frame (what the loopback device does in place of the wire).</summary>
    [Benchmark(Baseline = true)]
    public int Memcpy()
    {
        _source.AsSpan().CopyTo(_destination);
        return _destination[^1];
    }

    /// <summary>One frame through the ring: credit wait, write with immediate, completion, slot returned as a credit.</summary>
    [Benchmark]
    public int FrameThroughRing()
    {
        var credit = _ring.Writer.WaitForCreditAsync(CancellationToken.None);
        if (!credit.IsCompletedSuccessfully)
            throw new InvalidOperationException("the credit of the last frame had not come back");
        _ring.Writer.Write(FrameBytes);
        if (!_ring.Reader.TryTakeFrame())
            throw new InvalidOperationException("the frame did not land");
        var last = _ring.Reader.Current[^1];
        _ring.Reader.Release();
        return last;
    }
}
