namespace Gear.Server.Configuration;

/// <summary>
/// A configuration value that cannot be used. The message starts with the field at fault: a config-file path
/// ("listen.grpc", "tables[1]"), a flag ("--grpc") or an environment variable ("GEAR_TOKENS"), so that the
/// user knows where to look without reading a stack trace.
/// </summary>
public sealed class ConfigException : Exception
{
    /// <summary>Creates the error for <paramref name="field"/>.</summary>
    /// <param name="field">Where the value came from.</param>
    /// <param name="problem">What is wrong with it, and where useful what would be right.</param>
    public ConfigException(string field, string problem)
        : base($"{field}: {problem}")
    {
        Field = field;
        Problem = problem;
    }

    /// <summary>The config path, flag or environment variable the bad value came from.</summary>
    public string Field { get; }

    /// <summary>The problem, without the field.</summary>
    public string Problem { get; }
}
