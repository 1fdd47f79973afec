namespace Gear.Benchmarks;

/// <summary>The size of this machine's largest CPU cache, as Linux reports it in sysfs.</summary>
internal static class LastLevelCache
{
    /// <summary>What is assumed where sysfs says nothing (another OS, a container without it).</summary>
    private const long AssumedBytes = 256L << 20;

    /// <summary>Bytes of the highest-level cache of CPU 0.</summary>
    public static long Bytes { get; } = Read();

    private static long Read()
    {
        var caches = new DirectoryInfo("/sys/devices/system/cpu/cpu0/cache");
        if (!caches.Exists)
            return AssumedBytes;
        var (level, bytes) = (0, AssumedBytes);
        foreach (var index in caches.EnumerateDirectories("index*"))
        {
            if (!int.TryParse(ReadText(index, "level"), out var indexLevel) || indexLevel <= level)
                continue;
            if (ParseSize(ReadText(index, "size")) is { } indexBytes)
                (level, bytes) = (indexLevel, indexBytes);
        }
        return bytes;
    }

    private static string ReadText(DirectoryInfo index, string name)
    {
        var path = Path.Combine(index.FullName, name);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : "";
    }

    // sysfs writes sizes as "266240K" (or "M", or plain bytes).
    private static long? ParseSize(string text)
    {
        if (text.Length == 0)
            return null;
        var multiplier = char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1L };
        var digits = multiplier == 1 ? text : text[..^1];
        return long.TryParse(digits, out var value) ? value * multiplier : null;
    }
}
