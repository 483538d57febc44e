using Microsoft.Extensions.Logging;
using NatMap.Cli.Logging;
using NatMap.Cli.Parsing;
using NatMap.Discovery;

namespace NatMap.Cli.Check;

/// <summary><c>natmap check</c>: RFC 5780 NAT behaviour discovery, run once and reported.</summary>
internal static class CheckCommand
{
    /// <summary>Runs the check that <paramref name="result"/> asks for; returns the exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(CheckOptions check, ParseResult result, CliContext context, CancellationToken cancellationToken)
    {
        var (stdout, stderr) = (context.Stdout, context.Stderr);
        var options = new NatDiscoveryOptions();
        if (check.Bind(result, options, out bool json, out bool verbose) is { } problem)
        {
            return CommandLine.Usage(stderr, check.Command, problem);
        }

        using var loggerFactory = new CliLoggerFactory(new StderrLoggerProvider(stderr, verbose ? LogLevel.Debug : LogLevel.Error));
        NatDiscoveryReport report;
        try
        {
            report = await new NatDiscoveryClient(options, loggerFactory).RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            return CommandLine.Usage(stderr, check.Command, CommandLine.Describe(ex));
        }
        catch (NatMapException ex)
        {
            return CommandLine.Fail(stderr, "natmap: check: " + ex.Message);
        }

        (json ? CheckReportWriter.WriteJson : (Action<TextWriter, NatDiscoveryReport>)CheckReportWriter.WriteText)(stdout, report);
        await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return report.AnyServerAnswered ? ExitCodes.Success : CommandLine.Fail(stderr, "natmap: check: no STUN server answered");
    }
}
