namespace Gear.Server.Configuration;

/// <summary>
/// The config that <c>gear serve</c> runs with when no <c>--config</c> is given, embedded in the assembly so
/// that the bare command works from any directory: loopback listeners, no tokens, two example tables.
/// </summary>
public static class DefaultConfig
{
    private const string ResourceName = "Gear.Server.Configuration.DefaultConfig.json";

    /// <summary>Where messages say the default config's values came from.</summary>
    public const string Source = "embedded default config";

    /// <summary>The embedded JSON text.</summary>
    public static string Json { get; } = Load();

    /// <summary>Reads the embedded config into settings.</summary>
    public static ServerSettings Read() => ConfigFileReader.Read(Json, Source, Environment.CurrentDirectory);

    private static string Load()
    {
        using var stream = typeof(DefaultConfig).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"resource {ResourceName} is missing from the gear assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
