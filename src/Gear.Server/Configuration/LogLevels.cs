using Microsoft.Extensions.Logging;

namespace Gear.Server.Configuration;

/// <summary>Log level names accepted by <c>--log-level</c> and <c>logLevel</c>.</summary>
public static class LogLevels
{
    /// <summary>The names, as listed in messages and help.</summary>
    public const string Names = "trace, debug, information, warning, error, critical, none";

    /// <summary>Parses a level name (case-insensitive; "info" and "warn" are accepted too).</summary>
    /// <exception cref="ConfigException">An unknown name.</exception>
    public static LogLevel Parse(string text, string field) => text.Trim().ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "information" or "info" => LogLevel.Information,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" => LogLevel.Critical,
        "none" => LogLevel.None,
        _ => throw new ConfigException(field, $"unknown log level '{text}'; use one of {Names}"),
    };
}
