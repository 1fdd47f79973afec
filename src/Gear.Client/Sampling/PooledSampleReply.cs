using System.Buffers;

namespace Gear.Client;

/// <summary>
/// A SampleResponse as <see cref="SampleReplyDecoder"/> leaves it: the message bytes in one pooled buffer and
/// where each field lies in them. Whoever takes <see cref="Buffer"/> returns it to the pool.
/// </summary>
internal sealed class PooledSampleReply(byte[] buffer)
{
    /// <summary>The message bytes (rented from <see cref="ArrayPool{T}.Shared"/>).</summary>
    public byte[] Buffer { get; } = buffer;

    public int BatchSize { get; set; }
    public int WindowLength { get; set; }
    public ulong Sequence { get; set; }
    public long ItemCount { get; set; }
    public double SelectionMass { get; set; }
    public List<Range> Columns { get; } = [];
    public Range Mask { get; set; }
    public List<Run> Keys { get; } = [];
    public List<Run> TrajectoryKeys { get; } = [];
    public List<Run> StartSteps { get; } = [];
    public List<Run> Probabilities { get; } = [];
    public List<Run> ImportanceWeights { get; } = [];

    /// <summary>Gives the buffer back (when the reply is refused before a batch takes it over).</summary>
    public void Return() => ArrayPool<byte>.Shared.Return(Buffer);

    /// <summary>A span of <see cref="Buffer"/>.</summary>
    public readonly record struct Range(int Offset, int Length);

    /// <summary>The bytes of some elements of a repeated scalar field, and the wire type of each element.</summary>
    public readonly record struct Run(Range Bytes, int ElementWire);
}
