using Microsoft.Extensions.Logging;
using NatMap.Notify;

namespace NatMap.Cli;

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
