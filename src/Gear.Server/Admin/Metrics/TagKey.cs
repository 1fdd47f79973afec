namespace Gear.Server.Admin.Metrics;

/// <summary>
/// The tag values of one measurement as a dictionary key, built without allocating: the instruments of this
/// server carry at most two tags, always in the same order, so the values alone tell series apart. More tags
/// fall back to one joined string (allocates; no instrument of ours does that).
/// </summary>
internal readonly struct TagKey : IEquatable<TagKey>
{
    private readonly object? _first;
    private readonly object? _second;
    private readonly int _count;

    private TagKey(object? first, object? second, int count)
    {
        _first = first;
        _second = second;
        _count = count;
    }

    public static TagKey From(ReadOnlySpan<KeyValuePair<string, object?>> tags) => tags.Length switch
    {
        0 => default,
        1 => new(tags[0].Value, null, 1),
        2 => new(tags[0].Value, tags[1].Value, 2),
        _ => new(string.Join('\u0001', tags.ToArray().Select(t => $"{t.Key}={t.Value}")), null, tags.Length),
    };

    public bool Equals(TagKey other) => _count == other._count && Equals(_first, other._first) && Equals(_second, other._second);

    public override bool Equals(object? obj) => obj is TagKey other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_count, _first, _second);
}
