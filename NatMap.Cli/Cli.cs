using System.CommandLine;
using System.CommandLine.Parsing;
using Microsoft.Extensions.Logging;
using NatMap.Cli.Logging;
using NatMap.Mapping;
using NatMap.Stun;

namespace NatMap.Cli;

/// <summary>The command line, runnable in-process: parse, validate, then run the mapper until cancelled.</summary>
internal static class Cli
{
    public const string UsageHint = "Try 'natmap --help'.";

    /// <summary>Runs <c>natmap</c> with <paramref name="args"/>; returns the exit code (see <see cref="ExitCodes"/>).</summary>
    public static Task<int> RunAsync(
        string[] args,
        TextWriter stdout,
        TextWriter stderr,
        Func<PortMapperOptions, ILoggerFactory, IPortMapper> mapperFactory,
        CancellationToken cancellationToken) =>
        RunAsync(args, new CliContext(stdout, stderr, mapperFactory, Daemon.Detach), cancellationToken);

    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken)
    {
        NatMapCommand? command = null;
        command = new NatMapCommand((result, ct) => RunRootAsync(command!, result, args, context, ct));
        var parsed = command.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            return Usage(context.Stderr, DescribeParseError(parsed));
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
            await context.Stderr.WriteLineAsync("natmap: fatal: " + OneLine(ex.Message)).ConfigureAwait(false);
            await context.Stderr.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return ExitCodes.Fatal;
        }
    }

    /// <summary>Writes the one error line and the usage hint; returns <see cref="ExitCodes.Usage"/>.</summary>
    public static int Usage(TextWriter stderr, string message)
    {
        stderr.WriteLine("natmap: " + OneLine(message));
        stderr.WriteLine(UsageHint);
        stderr.Flush();
        return ExitCodes.Usage;
    }

    /// <summary>Error lines stay one line even when a message carries line breaks.</summary>
    internal static string OneLine(string message) =>
        message.ReplaceLineEndings(" ").TrimEnd();

    internal static PortMapperOptions ToMapperOptions(CliOptions options)
    {
        var mapperOptions = new PortMapperOptions
        {
            Protocol = options.Protocol,
            AddressFamily = options.AddressFamily,
            BindAddress = options.BindAddress,
            BindInterface = options.BindInterface,
            Port = options.Port,
            HttpServer = options.HttpServer,
            KeepAliveInterval = options.KeepAliveInterval,
            FirewallMark = options.FirewallMark,
            CongestionControl = options.CongestionControl,
            TargetHost = options.TargetHost,
            TargetPort = options.TargetPort ?? 0,
        };
        foreach (var server in options.StunServers)
        {
            mapperOptions.StunServers.Add(StunServerEndPoint.Parse(server));
        }

        if (options.UdpCheckCycle is { } cycle)
        {
            mapperOptions.UdpCheckCycle = cycle;
        }

        if (options.IdleTimeout is { } timeout)
        {
            mapperOptions.IdleTimeout = timeout;
        }

        // A -k shorter than the library's 5 s first retry delay shortens it too: whoever checks every
        // second does not want to wait five after a fault. The back-off still doubles up to 60 s.
        if (options.KeepAliveInterval is { } interval && interval < mapperOptions.RetryDelay)
        {
            mapperOptions.RetryDelay = interval;
        }

        return mapperOptions;
    }

    private static async Task<int> RunRootAsync(NatMapCommand command, ParseResult result, string[] args, CliContext context, CancellationToken cancellationToken)
    {
        if (!command.TryGetOptions(result, out var options, out var error))
        {
            return Usage(context.Stderr, error);
        }

        PortMapperOptions mapperOptions;
        try
        {
            mapperOptions = ToMapperOptions(options);
        }
        catch (FormatException ex)
        {
            return Usage(context.Stderr, ex.Message);
        }

        if (mapperOptions.FindProblem() is { } problem)
        {
            return Usage(context.Stderr, problem.Message);
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

    internal static string DescribeParseError(ParseResult parsed)
    {
        if (parsed.UnmatchedTokens.Count > 0)
        {
            var token = parsed.UnmatchedTokens[0];
            return token.StartsWith('-') && token.Length > 1
                ? $"unknown option '{token}'"
                : $"unexpected argument '{token}': natmap takes options only";
        }

        var error = parsed.Errors[0];
        if ((error.SymbolResult as OptionResult ?? error.SymbolResult?.Parent as OptionResult) is { } option)
        {
            var name = option.IdentifierToken?.Value ?? option.Option.Name;
            // Only an option that takes a value can be missing one: --version, a flag, fails for
            // other reasons (combined with other options) and keeps System.CommandLine's message.
            if (option.Tokens.Count == 0 && option.Option.Arity.MinimumNumberOfValues > 0)
            {
                return $"option {name} needs a value: {name} <{option.Option.HelpName ?? "value"}>";
            }

            if (option.IdentifierTokenCount > 1 && option.Option.Arity.MaximumNumberOfValues == 1)
            {
                return $"option {name} is given more than once";
            }
        }

        var message = error.Message;
        return message.EndsWith('.') ? message[..^1] : message;
    }
}
