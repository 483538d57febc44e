using System.CommandLine;
using System.CommandLine.Help;
using Microsoft.Extensions.Logging;
using NatMap.Cli.Logging;
using NatMap.Discovery;

namespace NatMap.Cli.Check;

/// <summary>
/// <c>natmap check</c>: RFC 5780 NAT behaviour discovery. <see cref="Create"/> gives the subcommand
/// for the root command (output goes to the invocation's writers); <see cref="RunAsync"/> runs
/// <c>natmap check …</c> in-process with given writers (tests).
/// </summary>
internal static class CheckCommand
{
    /// <summary>Exit code when the check ran, whatever the verdict.</summary>
    public const int Success = 0;

    /// <summary>Exit code when no STUN server answered, or the check could not run.</summary>
    public const int NoAnswer = 1;

    /// <summary>Exit code for a bad command line.</summary>
    public const int Usage = 2;

    private const string Description =
        "Tells what the NAT in front of this host really is (RFC 5780): mapping and filtering behaviour,\n" +
        "the classic NAT type, and optionally hairpinning and the UDP binding lifetime (a -k to use).\n" +
        "The STUN server needs two IP addresses for the RFC 5780 tests. Exit codes: 0 the check ran\n" +
        "(whatever the verdict), 1 no server answered, 2 bad command line.";

    /// <summary>The <c>check</c> subcommand; its output goes to the invocation configuration's writers.</summary>
    public static Command Create()
    {
        var options = new CheckOptions();
        var command = new Command("check", Description);
        options.AddTo(command);
        command.SetAction((result, ct) =>
            RunParsedAsync(options, result, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, ct));
        return command;
    }

    /// <summary>Runs <c>natmap check</c> with <paramref name="args"/> (the words after <c>check</c>) in-process.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var root = new RootCommand("natmap");
        for (int i = root.Options.Count - 1; i >= 0; i--)
        {
            if (root.Options[i] is HelpOption)
            {
                root.Options.RemoveAt(i);
            }
        }

        // -h is natmap's HTTP server option; help is --help only.
        root.Options.Add(new HelpOption("--help") { Description = "Show this help and exit." });
        root.Subcommands.Add(Create());
        var parsed = root.Parse(["check", .. args], NatMapCommand.ParserConfiguration);
        if (parsed.Errors.Count > 0)
        {
            return UsageError(stderr, Describe(parsed));
        }

        var invocation = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
        return await parsed.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> RunParsedAsync(CheckOptions options, ParseResult result, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (!options.TryGet(result, out var discovery, out bool json, out bool verbose, out var error))
        {
            return UsageError(stderr, error);
        }

        using var loggerFactory = LoggerFactoryFor(stderr, verbose);
        NatDiscoveryReport report;
        try
        {
            report = await new NatDiscoveryClient(discovery, loggerFactory).RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            return UsageError(stderr, ex.Message);
        }
        catch (NatMapException ex)
        {
            await stderr.WriteLineAsync("natmap: check: " + ex.Message).ConfigureAwait(false);
            await stderr.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return NoAnswer;
        }

        if (json)
        {
            CheckReportWriter.WriteJson(stdout, report);
        }
        else
        {
            CheckReportWriter.WriteText(stdout, report);
        }

        await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        if (!report.AnyServerAnswered)
        {
            await stderr.WriteLineAsync("natmap: check: no STUN server answered").ConfigureAwait(false);
            await stderr.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return NoAnswer;
        }

        return Success;
    }

    private static ILoggerFactory LoggerFactoryFor(TextWriter stderr, bool verbose) =>
        new CliLoggerFactory(new StderrLoggerProvider(stderr, verbose ? LogLevel.Debug : LogLevel.Error));

    private static int UsageError(TextWriter stderr, string message)
    {
        stderr.WriteLine("natmap: check: " + message + " (try 'natmap check --help')");
        stderr.Flush();
        return Usage;
    }

    private static string Describe(ParseResult parsed)
    {
        if (parsed.UnmatchedTokens.Count > 0)
        {
            var token = parsed.UnmatchedTokens[0];
            return token.StartsWith('-') && token.Length > 1
                ? $"unknown option '{token}'"
                : $"unexpected argument '{token}'";
        }

        var message = parsed.Errors[0].Message;
        return message.EndsWith('.') ? message[..^1] : message;
    }
}
