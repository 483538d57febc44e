using Microsoft.Extensions.Logging;

namespace NatMap.Tests.Infrastructure;

/// <summary>
/// Records every log entry (event id, level, message), for tests that check the logging contract.
/// Usable as a factory (every category shares one list) or directly as a logger.
/// </summary>
internal sealed class RecordingLoggerFactory : ILoggerFactory, ILogger
{
    private readonly List<(EventId Id, LogLevel Level, string Message)> _entries = [];

    /// <summary>A snapshot of the entries so far, in the order they were logged.</summary>
    public IReadOnlyList<(EventId Id, LogLevel Level, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries)
        {
            _entries.Add((eventId, logLevel, formatter(state, exception)));
        }
    }

    public void Dispose()
    {
    }
}
