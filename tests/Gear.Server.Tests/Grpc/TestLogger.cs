using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Gear.Server.Tests.Grpc;

/// <summary>An <see cref="ILogger"/> that keeps every entry, so tests can check what was logged.</summary>
public sealed class TestLogger : ILogger
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    /// <summary>The entries so far.</summary>
    public IReadOnlyCollection<LogEntry> Entries => _entries.ToArray();

    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    /// <inheritdoc />
    public bool IsEnabled(LogLevel logLevel) => true;

    /// <inheritdoc />
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue(new LogEntry(logLevel, eventId, formatter(state, exception), exception));
}

/// <summary>One log entry.</summary>
public sealed record LogEntry(LogLevel Level, EventId EventId, string Message, Exception? Exception);

/// <summary>An <see cref="ILoggerFactory"/> whose loggers all write to one <see cref="TestLogger"/>.</summary>
public sealed class TestLoggerFactory(TestLogger logger) : ILoggerFactory
{
    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => logger;

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider)
    {
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
