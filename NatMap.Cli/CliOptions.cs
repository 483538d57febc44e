using Microsoft.Extensions.Logging;
using NatMap.Notify;

namespace NatMap.Cli;

/// <summary>What the <c>natmap</c> command line asks of the CLI itself; the rest is bound into <see cref="Mapping.PortMapperOptions"/>.</summary>
/// <param name="Detach"><c>-d</c>.</param>
/// <param name="Script"><c>-e</c>: run on each change instead of printing the line.</param>
/// <param name="Json"><c>--json</c>.</param>
/// <param name="LogLevel"><c>-v</c> logs debug messages too.</param>
/// <param name="PortReuseWait"><c>-w</c>: accepted for compatibility with the original, which waits this long before reusing a port.</param>
/// <param name="Name"><c>--name</c>: the mapping's name, for scripts (NATMAP_NAME), <c>--json</c>, the status file and the webhook.</param>
/// <param name="StatusFile"><c>--status-file</c>: where the status object is kept.</param>
/// <param name="Notifiers">One factory per built-in notifier (<c>--notify-url</c> and the rest), run beside <c>-e</c>; empty when none.</param>
internal sealed record CliOptions(bool Detach, string? Script, bool Json, LogLevel LogLevel, int? PortReuseWait, string? Name = null, string? StatusFile = null, IReadOnlyList<Func<ILoggerFactory, MappingNotifier>>? Notifiers = null);
