using System.Collections.Frozen;

namespace Gear.Server.Admin;

/// <summary>
/// The dashboard's files (HTML, JavaScript, CSS), shipped inside the server as embedded resources: the page
/// needs nothing from the network beyond this server, no CDN and no web fonts.
/// </summary>
public static class DashboardAssets
{
    private const string ResourcePrefix = "Gear.Server.Admin.Dashboard.";

    private static readonly FrozenDictionary<string, Asset> Assets = Load();

    /// <summary>One file: its bytes and content type.</summary>
    /// <param name="Bytes">The file.</param>
    /// <param name="ContentType">Its media type with charset.</param>
    public sealed record Asset(byte[] Bytes, string ContentType);

    /// <summary>The asset served at <paramref name="path"/> ("/" is the page), if any.</summary>
    public static bool TryGet(string path, out Asset asset)
    {
        var name = path is "/" or "/index.html" ? "index.html" : path.TrimStart('/');
        return Assets.TryGetValue(name, out asset!);
    }

    /// <summary>The names of the embedded files.</summary>
    public static IEnumerable<string> Names => Assets.Keys;

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal))
                continue;
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var name = resource[ResourcePrefix.Length..];
            assets[name] = new Asset(copy.ToArray(), ContentTypeOf(name));
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        _ => "application/octet-stream",
    };
}
