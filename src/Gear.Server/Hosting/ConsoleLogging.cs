using Microsoft.Extensions.Logging;

namespace Gear.Server.Hosting;

/// <summary>
/// Console logging for the server: one line per event with a timestamp, at the configured level. The
/// framework's own information chatter (hosting lifetime, Kestrel) is held at warning unless debugging, so
/// that the server's lines are the ones a user reads.
/// </summary>
public static class ConsoleLogging
{
    /// <summary>The category of the server's own start, listen, table and shutdown lines.</summary>
    public const string Category = "gear";

    /// <summary>Replaces the builder's providers with the one-line console logger at <paramref name="level"/>.</summary>
    public static void Configure(ILoggingBuilder logging, LogLevel level)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(level);
        var framework = level <= LogLevel.Debug ? level : LogLevel.Warning;
        logging.AddFilter("Microsoft", framework);
        // A failed start is logged by Kestrel ("Unable to start Kestrel", critical) and by the host ("Hosting
        // failed to start", error), each with the bind exception's stack trace. The exception itself reaches
        // GearServer, which prints one clear line (or lets what it cannot explain surface), so both are held back.
        // (The host logs nothing else at error or above: gear runs no background services.)
        logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel", l => l >= framework && l < LogLevel.Critical);
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", l => l >= framework && l < LogLevel.Error);
        logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.IncludeScopes = false;
            options.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
            options.UseUtcTimestamp = false;
        });
    }
}
