using System.Diagnostics.Metrics;
using Gear.Core.Sampling;
using Gear.Protocol.Grpc;

namespace Gear.Server.Admin.Metrics;

/// <summary>
/// The server's instruments (System.Diagnostics.Metrics) and one method per event that the service reports.
/// Each server owns its own <see cref="Meter"/>, so that several servers in one process (tests) keep apart.
/// Events are reported per call, per request or per batch, never per step; tags are passed as
/// <see cref="KeyValuePair{TKey,TValue}"/> arguments of strings the caller already holds, so recording
/// allocates nothing.
/// </summary>
public sealed class GearMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Gear.Server";

    /// <summary>Latency buckets in seconds: 50 µs to 10 s, about three per decade.</summary>
    public static readonly IReadOnlyList<double> LatencyBuckets =
        [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Counter<long> _insertSteps;
    private readonly Counter<long> _insertBytes;
    private readonly Counter<long> _insertTrajectories;
    private readonly Counter<long> _sampleWindows;
    private readonly Counter<long> _sampleBatches;
    private readonly Counter<long> _sampleBytes;
    private readonly Counter<long> _rateLimiterWaits;
    private readonly Counter<long> _calls;
    private readonly Counter<long> _connectionsOpened;
    private readonly UpDownCounter<long> _connections;
    private readonly UpDownCounter<long> _insertStreams;
    private readonly UpDownCounter<long> _sampleStreams;
    private readonly Histogram<double> _sampleDuration;
    private readonly Histogram<double> _commitDuration;
    private readonly Histogram<double> _rateLimiterWait;
    private readonly Histogram<double> _unaryDuration;
    private readonly TableActivity _activity = new();
    private long _openConnections;
    private long _openedConnections;

    /// <summary>Creates the meter and its instruments.</summary>
    public GearMetrics()
    {
        Meter = new Meter(MeterName, Hosting.ServerVersion.Current);
        var latency = new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets };
        _insertSteps = Meter.CreateCounter<long>("gear.insert.steps", "{step}", "Steps appended by actors.");
        _insertBytes = Meter.CreateCounter<long>("gear.insert.bytes", "By", "Bytes of step data appended by actors.");
        _insertTrajectories = Meter.CreateCounter<long>("gear.insert.trajectories", "{trajectory}", "Trajectories committed (ended) by actors.");
        _sampleWindows = Meter.CreateCounter<long>("gear.sample.windows", "{window}", "Windows sampled by learners.");
        _sampleBatches = Meter.CreateCounter<long>("gear.sample.batches", "{batch}", "Batches sampled by learners (Sample calls and SampleStream replies).");
        _sampleBytes = Meter.CreateCounter<long>("gear.sample.bytes", "By", "Bytes of step data gathered into sampled batches.");
        _rateLimiterWaits = Meter.CreateCounter<long>("gear.rate_limiter.waits", "{wait}",
            "Inserts (trajectory ends) and samples that had to wait for the rate limiter, by side.");
        _calls = Meter.CreateCounter<long>("gear.rpc.calls", "{call}", "gRPC calls completed, by method and status code.");
        _connectionsOpened = Meter.CreateCounter<long>("gear.grpc.connections.opened", "{connection}", "gRPC connections accepted.");
        _connections = Meter.CreateUpDownCounter<long>("gear.grpc.connections", "{connection}", "gRPC connections open now.");
        _insertStreams = Meter.CreateUpDownCounter<long>("gear.insert.streams", "{stream}",
            "Insert streams open now that have appended to the table (actors).");
        _sampleStreams = Meter.CreateUpDownCounter<long>("gear.sample.streams", "{stream}", "Sample streams open now on the table (learners).");
        _sampleDuration = Meter.CreateHistogram("gear.sample.duration", "s",
            "Time to produce one sampled batch: rate-limiter wait, selection and gather.", advice: latency);
        _commitDuration = Meter.CreateHistogram("gear.insert.commit.duration", "s",
            "Time to commit (end) one trajectory, rate-limiter wait included.", advice: latency);
        _rateLimiterWait = Meter.CreateHistogram("gear.rate_limiter.wait.duration", "s",
            "Duration of the inserts and samples that waited for the rate limiter (the wait and the work after it), by side.", advice: latency);
        _unaryDuration = Meter.CreateHistogram("gear.rpc.duration", "s", "Duration of unary gRPC calls, by method.", advice: latency);
    }

    /// <summary>The meter that holds every instrument of this server.</summary>
    public Meter Meter { get; }

    /// <summary>Open streams per table, for the dashboard.</summary>
    public TableActivity Activity => _activity;

    /// <summary>gRPC connections open now.</summary>
    public long OpenConnections => Interlocked.Read(ref _openConnections);

    /// <summary>gRPC connections accepted since start.</summary>
    public long OpenedConnections => Interlocked.Read(ref _openedConnections);

    /// <summary>An actor appended <paramref name="steps"/> steps (<paramref name="bytes"/> bytes) to <paramref name="table"/>.</summary>
    public void Appended(string table, long steps, long bytes)
    {
        var tag = Table(table);
        _insertSteps.Add(steps, tag);
        _insertBytes.Add(bytes, tag);
    }

    /// <summary>An actor's trajectory was committed; <paramref name="waited"/>: the rate limiter held it back.</summary>
    public void Committed(string table, TimeSpan elapsed, bool waited)
    {
        var tag = Table(table);
        _insertTrajectories.Add(1, tag);
        _commitDuration.Record(elapsed.TotalSeconds, tag);
        if (waited)
            Waited(tag, Side.Insert, elapsed);
    }

    /// <summary>A batch was sampled into <paramref name="batch"/>; <paramref name="waited"/>: the rate limiter held it back.</summary>
    public void Sampled(string table, WindowBatch batch, TimeSpan elapsed, bool waited)
    {
        var tag = Table(table);
        long bytes = 0;
        for (var c = 0; c < batch.Columns.Count; c++)
            bytes += (long)batch.Count * batch.WindowBytes(c);
        _sampleWindows.Add(batch.Count, tag);
        _sampleBatches.Add(1, tag);
        _sampleBytes.Add(bytes, tag);
        _sampleDuration.Record(elapsed.TotalSeconds, tag);
        if (waited)
            Waited(tag, Side.Sample, elapsed);
    }

    /// <summary>An insert stream appended to <paramref name="table"/> for the first time.</summary>
    public void InsertStreamJoined(string table)
    {
        _activity.AddActor(table, 1);
        _insertStreams.Add(1, Table(table));
    }

    /// <summary>An insert stream that had joined <paramref name="table"/> ended.</summary>
    public void InsertStreamLeft(string table)
    {
        _activity.AddActor(table, -1);
        _insertStreams.Add(-1, Table(table));
    }

    /// <summary>A sample stream on <paramref name="table"/> opened; dispose the result when it ends.</summary>
    public SampleStreamScope SampleStreamOpened(string table)
    {
        _activity.AddLearner(table, 1);
        _sampleStreams.Add(1, Table(table));
        return new SampleStreamScope(this, table);
    }

    /// <summary>A gRPC call ended (the gRPC host's <c>CallCompleted</c> hook).</summary>
    public void CallCompleted(string method, MethodType type, StatusCode code, TimeSpan elapsed)
    {
        var methodTag = new KeyValuePair<string, object?>("method", method);
        _calls.Add(1, methodTag, new KeyValuePair<string, object?>("code", StatusCodeNames.Of(code)));
        if (type == MethodType.Unary)
            _unaryDuration.Record(elapsed.TotalSeconds, methodTag);
    }

    /// <summary>A gRPC connection was accepted.</summary>
    public void ConnectionOpened()
    {
        Interlocked.Increment(ref _openConnections);
        Interlocked.Increment(ref _openedConnections);
        _connectionsOpened.Add(1);
        _connections.Add(1);
    }

    /// <summary>A gRPC connection closed.</summary>
    public void ConnectionClosed()
    {
        Interlocked.Decrement(ref _openConnections);
        _connections.Add(-1);
    }

    /// <summary>Disposes the meter (its instruments stop reporting).</summary>
    public void Dispose() => Meter.Dispose();

    internal void SampleStreamClosed(string table)
    {
        _activity.AddLearner(table, -1);
        _sampleStreams.Add(-1, Table(table));
    }

    private void Waited(KeyValuePair<string, object?> table, string side, TimeSpan elapsed)
    {
        var sideTag = new KeyValuePair<string, object?>("side", side);
        _rateLimiterWaits.Add(1, table, sideTag);
        _rateLimiterWait.Record(elapsed.TotalSeconds, table, sideTag);
    }

    private static KeyValuePair<string, object?> Table(string table) => new("table", table);

    /// <summary>The values of the "side" tag.</summary>
    public static class Side
    {
        /// <summary>Inserts (trajectory ends).</summary>
        public const string Insert = "insert";

        /// <summary>Samples.</summary>
        public const string Sample = "sample";
    }

    /// <summary>Ends a sample stream's accounting when disposed.</summary>
    public readonly struct SampleStreamScope(GearMetrics metrics, string table) : IDisposable
    {
        /// <summary>Counts the stream as closed.</summary>
        public void Dispose() => metrics?.SampleStreamClosed(table);
    }
}
