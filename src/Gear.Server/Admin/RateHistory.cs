namespace Gear.Server.Admin;

/// <summary>
/// The insert and sample rates of one table (or of the whole server) over the last <see cref="Capacity"/>
/// intervals, oldest first, computed from the tables' lifetime counters at each tick.
/// </summary>
public sealed class RateHistory
{
    /// <summary>Intervals kept: a minute at one tick a second.</summary>
    public const int Capacity = 60;

    private readonly double[] _insert = new double[Capacity];
    private readonly double[] _sample = new double[Capacity];
    private int _next;
    private int _count;
    private long _lastInserted = -1;
    private long _lastSampled;
    private long _lastTimestamp;

    /// <summary>Items inserted per second over the last interval (0 before two ticks).</summary>
    public double InsertRate { get; private set; }

    /// <summary>Windows sampled per second over the last interval.</summary>
    public double SampleRate { get; private set; }

    /// <summary>Takes the counters at <paramref name="timestamp"/> (a Stopwatch timestamp) and records the rates since the last tick.</summary>
    public void Tick(long itemsInserted, long windowsSampled, long timestamp)
    {
        lock (_insert)
        {
            if (_lastInserted >= 0)
            {
                var seconds = (timestamp - _lastTimestamp) / (double)System.Diagnostics.Stopwatch.Frequency;
                if (seconds <= 0)
                    return;
                // A reset table starts its counters again: a negative difference is no activity, not a negative rate.
                InsertRate = Math.Max(0, itemsInserted - _lastInserted) / seconds;
                SampleRate = Math.Max(0, windowsSampled - _lastSampled) / seconds;
                _insert[_next] = InsertRate;
                _sample[_next] = SampleRate;
                _next = (_next + 1) % Capacity;
                _count = Math.Min(_count + 1, Capacity);
            }
            _lastInserted = itemsInserted;
            _lastSampled = windowsSampled;
            _lastTimestamp = timestamp;
        }
    }

    /// <summary>The recorded insert and sample rates, oldest first.</summary>
    public (double[] Insert, double[] Sample) Series()
    {
        lock (_insert)
        {
            var insert = new double[_count];
            var sample = new double[_count];
            for (var i = 0; i < _count; i++)
            {
                var index = (_next - _count + i + Capacity) % Capacity;
                insert[i] = _insert[index];
                sample[i] = _sample[index];
            }
            return (insert, sample);
        }
    }
}
