using System.Collections.Concurrent;

namespace Gear.Server.Admin.Metrics;

/// <summary>
/// Who is connected to each table now: insert streams that have appended to it (actors) and sample streams
/// on it (learners). Counts only, by table name: the dashboard shows numbers, so that a thousand
/// connections cost a thousand increments, not a thousand rows.
/// </summary>
public sealed class TableActivity
{
    private readonly ConcurrentDictionary<string, Counts> _tables = new(StringComparer.Ordinal);

    /// <summary>Actors (insert streams) on <paramref name="table"/> now.</summary>
    public int Actors(string table) => _tables.TryGetValue(table, out var counts) ? Volatile.Read(ref counts.Actors) : 0;

    /// <summary>Learners (sample streams) on <paramref name="table"/> now.</summary>
    public int Learners(string table) => _tables.TryGetValue(table, out var counts) ? Volatile.Read(ref counts.Learners) : 0;

    /// <summary>Actors over every table (an actor on two tables counts twice).</summary>
    public int TotalActors => _tables.Values.Sum(c => Volatile.Read(ref c.Actors));

    /// <summary>Learners over every table.</summary>
    public int TotalLearners => _tables.Values.Sum(c => Volatile.Read(ref c.Learners));

    internal void AddActor(string table, int delta) => Interlocked.Add(ref For(table).Actors, delta);

    internal void AddLearner(string table, int delta) => Interlocked.Add(ref For(table).Learners, delta);

    // A table's entry stays after the table is dropped: a few bytes, and a stream still open on a dropped
    // table must be able to decrement what it incremented.
    private Counts For(string table) => _tables.GetOrAdd(table, static _ => new Counts());

    private sealed class Counts
    {
        public int Actors;
        public int Learners;
    }
}
