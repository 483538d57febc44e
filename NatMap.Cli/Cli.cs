using System.CommandLine;
using NatMap.Cli.Logging;
using NatMap.Cli.Native;
using NatMap.Mapping;

namespace NatMap.Cli;

/// <summary>The command line, runnable in-process: parse, bind, validate, then run the mapper until cancelled (or the check once).</summary>
internal static class Cli
{
    /// <summary>Runs <c>natmap</c> or <c>natmap check</c> with <paramref name="args"/>; returns the exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken)
    {
        NatMapCommand? command = null;
        command = new NatMapCommand(
            (result, ct) => RunMapperAsync(command!, result, args, context, ct),
            (result, ct) => Check.CheckCommand.RunAsync(command!.Check, result, context, ct));
        var parsed = command.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            return CommandLine.Usage(context.Stderr, parsed.CommandResult.Command, CommandLine.DescribeParseError(parsed));
        }

        var invocation = new InvocationConfiguration
        {
            Output = context.Stdout,
            Error = context.Stderr,
            EnableDefaultExceptionHandler = false,

            // Signals are handled by Program through the cancellation token, not by the parser.
            ProcessTerminationTimeout = null,
        };
        try
        {
            return await parsed.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }
        catch (Exception ex)
        {
            await context.Stderr.WriteLineAsync("natmap: fatal: " + CommandLine.OneLine(ex.Message)).ConfigureAwait(false);
            await context.Stderr.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return ExitCodes.Fatal;
        }
    }

    /// <summary>
    /// <c>-e</c> must name an executable file now, not at the first mapping: a path, or a name looked up
    /// where <see cref="System.Diagnostics.Process"/> looks (this program's folder, the current one, PATH).
    /// </summary>
    internal static string? FindScriptProblem(string script)
    {
        var folders = script.Contains('/', StringComparison.Ordinal)
            ? [""]
            : new[] { Path.GetDirectoryName(Environment.ProcessPath) ?? "", Environment.CurrentDirectory }
                .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        var found = script.Length == 0 ? null : folders.Select(f => Path.Combine(f, script)).FirstOrDefault(File.Exists);
        if (found is null)
        {
            return $"-e: script '{script}' not found";
        }

        return OperatingSystem.IsWindows() || LibC.Access(found, LibC.XOk) == 0 ? null : $"-e: script '{script}' is not executable";
    }

    private static async Task<int> RunMapperAsync(NatMapCommand command, ParseResult result, string[] args, CliContext context, CancellationToken cancellationToken)
    {
        var mapperOptions = new PortMapperOptions();
        var problem = command.Bind(result, mapperOptions, out var options);
        try
        {
            mapperOptions.Validate();
        }
        catch (ArgumentException ex)
        {
            problem ??= CommandLine.Describe(ex);
        }

        if ((problem ?? (options.Script is { } script ? FindScriptProblem(script) : null)) is { } message)
        {
            return CommandLine.Usage(context.Stderr, command.Root, message);
        }

        using var loggerFactory = new CliLoggerFactory(new StderrLoggerProvider(context.Stderr, options.LogLevel));
        var logger = loggerFactory.CreateLogger("NatMap.Cli");
        if (options.PortReuseWait is { } wait)
        {
            CliLog.ReuseWaitIgnored(logger, wait);
        }

        if (options.Detach && !Daemon.IsChild)
        {
            return context.Detacher(args, logger);
        }

        return await MappingRunner.RunAsync(options, mapperOptions, context, loggerFactory, cancellationToken).ConfigureAwait(false);
    }
}
