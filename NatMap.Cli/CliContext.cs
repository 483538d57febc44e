using Microsoft.Extensions.Logging;
using NatMap.Mapping;
using NatMap.Notify;

namespace NatMap.Cli;

/// <summary>What a run of the command line talks to; tests replace the mapper and the detacher.</summary>
/// <param name="Stdout">Where mapping lines (or JSON) go.</param>
/// <param name="Stderr">Where logs and error lines go.</param>
/// <param name="MapperFactory">Creates the port mapper; the real one is <see cref="PortMapper.Create"/>.</param>
/// <param name="Detacher">Starts the background copy for <c>-d</c> and returns this process's exit code.</param>
/// <param name="Environment">Reads an environment variable (the notifiers' logins); the process's own when null.</param>
internal sealed record CliContext(
    TextWriter Stdout,
    TextWriter Stderr,
    Func<PortMapperOptions, ILoggerFactory, IPortMapper> MapperFactory,
    Func<IReadOnlyList<string>, ILogger, int> Detacher,
    Func<string, string?>? Environment = null);

/// <summary>What the <c>natmap</c> command line asks of the CLI itself; the rest is bound into <see cref="Mapping.PortMapperOptions"/>.</summary>
/// <param name="Detach"><c>-d</c>.</param>
/// <param name="Script"><c>-e</c>: run on each change instead of printing the line.</param>
/// <param name="Json"><c>--json</c>.</param>
/// <param name="LogLevel"><c>-v</c> logs debug messages too.</param>
/// <param name="PortReuseWait"><c>-w</c>: accepted for compatibility with the original, which waits this long before reusing a port.</param>
/// <param name="Notifiers">One factory per built-in notifier (<c>--notify-url</c> and the rest), run beside <c>-e</c>; empty when none.</param>
/// <param name="Status"><c>--name</c> (for scripts as NATMAP_NAME, <c>--json</c> and the status file) and <c>--status-file</c>.</param>
internal sealed record CliOptions(bool Detach, string? Script, bool Json, LogLevel LogLevel, int? PortReuseWait, IReadOnlyList<Func<ILoggerFactory, MappingNotifier>> Notifiers, ServiceStatusOptions Status)
{
    public string? Name => Status.Name;
}

/// <summary>Process exit codes of <c>natmap</c> and <c>natmap check</c>.</summary>
internal static class ExitCodes
{
    /// <summary>Stopped cleanly (signal or cancellation), help or version printed, detached to the background; or the check ran, whatever the verdict.</summary>
    public const int Success = 0;

    /// <summary>A runtime failure after the command line was accepted; for the check, no STUN server answered.</summary>
    public const int Fatal = 1;

    /// <summary>The command line is invalid: nothing was started.</summary>
    public const int Usage = NatMap.CommandLine.UsageError.ExitCode;
}
