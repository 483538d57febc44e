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
