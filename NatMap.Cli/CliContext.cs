using Microsoft.Extensions.Logging;
using NatMap.Mapping;

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
