using Microsoft.Extensions.Logging;

namespace NatMap.Cli.Logging;

/// <summary>
/// A logger factory with exactly one provider, <see cref="StderrLoggerProvider"/>: the full
/// Microsoft.Extensions.Logging factory would pull options and dependency injection into the native build.
/// </summary>
internal sealed class CliLoggerFactory(StderrLoggerProvider provider) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => provider.CreateLogger(categoryName);

    public void AddProvider(ILoggerProvider provider) =>
        throw new NotSupportedException("natmap logs through its standard error provider only");

    public void Dispose() => provider.Dispose();
}

/// <summary>
/// Writes log entries as single lines to standard error (or any writer): <c>natmap: warn: message</c>,
/// with the category and event id appended when debug logging is on. No dependency beyond the logging
/// abstractions, so the native build stays small and trim-safe.
/// </summary>
internal sealed class StderrLoggerProvider(TextWriter writer, LogLevel minimumLevel) : ILoggerProvider
{
    private readonly object _gate = new();

    public LogLevel MinimumLevel { get; } = minimumLevel;

    public ILogger CreateLogger(string categoryName) => new StderrLogger(this, categoryName);

    public void Dispose()
    {
    }

    internal void Write(LogLevel level, string category, EventId eventId, string message, Exception? exception)
    {
        string cause = exception is null ? "" : " (" + exception.Message + ")";
        string source = MinimumLevel > LogLevel.Debug ? "" : eventId.Id == 0 ? $" [{category}]" : $" [{category} #{eventId.Id}]";
        string line = "natmap: " + LevelText(level) + ": " + message + cause + source;
        lock (_gate)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }

    private static string LevelText(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "error",
        _ => "fatal",
    };
}

/// <summary>One category's logger over <see cref="StderrLoggerProvider"/>.</summary>
internal sealed class StderrLogger(StderrLoggerProvider provider, string category) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= provider.MinimumLevel;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            provider.Write(logLevel, category, eventId, formatter(state, exception), exception);
        }
    }
}
