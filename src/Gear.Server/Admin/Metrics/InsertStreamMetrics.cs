namespace Gear.Server.Admin.Metrics;

/// <summary>
/// The metrics of one insert stream: forwards appends and commits to <see cref="GearMetrics"/> and remembers
/// which tables the stream has appended to, so that each counts the stream as one actor until it ends.
/// </summary>
internal sealed class InsertStreamMetrics(GearMetrics metrics)
{
    // Actors rarely write to more than a table or two; a list beats a set at that size.
    private readonly List<string> _tables = [];
    private string? _lastTable;

    /// <summary>An append of <paramref name="steps"/> steps and <paramref name="bytes"/> bytes to <paramref name="table"/>.</summary>
    public void Appended(string table, long steps, long bytes)
    {
        if (!ReferenceEquals(table, _lastTable))
            Join(table);
        metrics.Appended(table, steps, bytes);
    }

    /// <summary>A trajectory of <paramref name="table"/> committed.</summary>
    public void Committed(string table, TimeSpan elapsed, bool waited) => metrics.Committed(table, elapsed, waited);

    /// <summary>The stream ended: it no longer counts as an actor anywhere.</summary>
    public void Ended()
    {
        foreach (var table in _tables)
            metrics.InsertStreamLeft(table);
        _tables.Clear();
        _lastTable = null;
    }

    private void Join(string table)
    {
        _lastTable = table;
        if (_tables.Contains(table))
            return;
        _tables.Add(table);
        metrics.InsertStreamJoined(table);
    }
}
