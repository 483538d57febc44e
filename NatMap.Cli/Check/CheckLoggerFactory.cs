using Microsoft.Extensions.Logging;

namespace NatMap.Cli.Check;

/// <summary>Writes the check's log messages to standard error, one line each, at or above a level.</summary>
internal sealed class CheckLoggerFactory(TextWriter stderr, LogLevel minimum) : ILoggerFactory, ILogger
{
    private readonly Lock _gate = new();

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var line = "natmap: check: " + formatter(state, exception);
        lock (_gate)
        {
            stderr.WriteLine(line);
            stderr.Flush();
        }
    }

    public void Dispose()
    {
    }
}
