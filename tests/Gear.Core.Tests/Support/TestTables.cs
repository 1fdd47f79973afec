using Gear.Core.Compute.Cpu;
using Gear.Core.RateLimiting;
using Gear.Core.Sampling;
using Gear.Core.Schema;
using Gear.Core.Selection;
using Gear.Core.Tables;
using Gear.Tests.Shared;

namespace Gear.Core.Tests.Support;

/// <summary>
/// Builds small tables for tests and keeps a managed copy of every step appended, so that samples can be
/// checked byte for byte against a naive reference.
/// </summary>
internal sealed class TestTable : IDisposable
{
    private readonly Dictionary<ulong, List<byte[][]>> _steps = new();
    private readonly Random _bytes;

    public TestTable(TableSpec spec, int gatherThreads = 1, int seed = 1)
    {
        Backend = new CpuBackend(gatherThreads);
        Table = new Table(spec, Backend);
        _bytes = new Random(seed);
    }

    public CpuBackend Backend { get; }

    public Table Table { get; }

    public IReadOnlyList<ColumnSpec> Columns => Table.Spec.Columns;

    /// <summary>The steps appended to a trajectory, per step one byte array per column.</summary>
    public IReadOnlyList<byte[][]> StepsOf(ulong trajectoryKey) => _steps[trajectoryKey];

    public static TableSpec Spec(
        string name = "t",
        ColumnSpec[]? columns = null,
        int pageSteps = 4,
        int pages = 64,
        int maxTrajectories = 64,
        ItemGranularity granularity = ItemGranularity.Trajectory,
        SelectorKind sampler = SelectorKind.Uniform,
        SelectorKind remover = SelectorKind.Fifo,
        int maxTimesSampled = 0,
        double priorityExponent = 1.0,
        RateLimiterSpec? rateLimiter = null)
    {
        columns ??= [new ColumnSpec("obs", DType.F32, 3), new ColumnSpec("done", DType.Bool)];
        var stepBytes = columns.Sum(c => (long)c.StepBytes);
        return new TableSpec
        {
            Name = name,
            Columns = columns,
            PageSteps = pageSteps,
            HostCapacityBytes = stepBytes * pageSteps * pages,
            MaxTrajectories = maxTrajectories,
            Granularity = granularity,
            Sampler = sampler,
            Remover = remover,
            MaxTimesSampled = maxTimesSampled,
            PriorityExponent = priorityExponent,
            RateLimiter = rateLimiter ?? RateLimiterSpec.MinSize(1),
        };
    }

    /// <summary>
    /// Opens a trajectory, appends <paramref name="length"/> random steps in chunks, closes it. With
    /// <paramref name="segmentBytes"/>, each column buffer goes in as a sequence of segments of that many bytes.
    /// </summary>
    public ulong Insert(int length, double priority = 1.0, int chunk = 3, int? segmentBytes = null)
    {
        var key = Open();
        AppendRandom(key, length, chunk, segmentBytes);
        Table.Close(key, priority);
        return key;
    }

    public ulong Open()
    {
        var key = Table.OpenTrajectory();
        _steps[key] = [];
        return key;
    }

    /// <summary>Appends random steps in chunks of <paramref name="chunk"/>, recording them.</summary>
    public void AppendRandom(ulong key, int length, int chunk = 3, int? segmentBytes = null)
    {
        for (var done = 0; done < length; done += chunk)
        {
            var n = Math.Min(chunk, length - done);
            var buffers = RandomSteps(n, out var perStep);
            if (segmentBytes is { } size)
                Table.Append(key, n, buffers.Select(buffer => SegmentedBytes.Of(buffer.ToArray(), size)).ToArray());
            else
                Table.Append(key, n, buffers);
            _steps[key].AddRange(perStep);
        }
    }

    /// <summary>One buffer per column holding <paramref name="n"/> random steps, and the same split per step.</summary>
    public ReadOnlyMemory<byte>[] RandomSteps(int n, out byte[][][] perStep)
    {
        var buffers = new ReadOnlyMemory<byte>[Columns.Count];
        perStep = new byte[n][][];
        for (var s = 0; s < n; s++)
            perStep[s] = new byte[Columns.Count][];
        for (var c = 0; c < Columns.Count; c++)
        {
            var size = Columns[c].StepBytes;
            var buffer = new byte[n * size];
            _bytes.NextBytes(buffer);
            buffers[c] = buffer;
            for (var s = 0; s < n; s++)
                perStep[s][c] = buffer.AsSpan(s * size, size).ToArray();
        }
        return buffers;
    }

    /// <summary>Checks every filled window of <paramref name="batch"/> against the recorded steps.</summary>
    public void AssertBatchMatchesReference(WindowBatch batch)
    {
        var length = batch.WindowLength;
        for (var w = 0; w < batch.Count; w++)
        {
            var steps = _steps[batch.TrajectoryKeys[w]];
            var start = batch.StartSteps[w];
            for (var t = 0; t < length; t++)
            {
                var step = start + t;
                var valid = step >= 0 && step < steps.Count;
                Assert.AreEqual(valid, batch.Mask[w * length + t], $"mask of window {w} position {t} (start {start}, trajectory length {steps.Count})");
                for (var c = 0; c < Columns.Count; c++)
                {
                    var size = Columns[c].StepBytes;
                    var actual = batch.Column(c).Slice((w * length + t) * size, size);
                    if (valid)
                        CollectionAssert.AreEqual(steps[step][c], actual.ToArray(), $"column {Columns[c].Name}, window {w}, position {t}");
                    else
                        Assert.IsTrue(actual.IndexOfAnyExcept((byte)0) < 0, $"padding of column {Columns[c].Name}, window {w}, position {t} is not zero");
                }
            }
        }
    }

    public void Dispose()
    {
        Table.Dispose();
        Backend.Dispose();
    }
}
