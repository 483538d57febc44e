using Microsoft.Extensions.Logging;
using NatMap.Cli.Logging;
using NatMap.CommandLine;
using NatMap.Discovery;
using NatMap.Gateway.Internal;

namespace NatMap.Cli.Check;

/// <summary><c>natmap check</c>: RFC 5780 NAT behaviour discovery, run once and reported.</summary>
internal static class CheckCommand
{
    /// <summary>Runs the check that <paramref name="result"/> asks for; returns the exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(CheckOptions check, ParseResult result, CliContext context, CancellationToken cancellationToken)
    {
        var (stdout, stderr) = (context.Stdout, context.Stderr);
        var options = new NatDiscoveryOptions();
        if (check.Bind(result, options, out bool json, out bool verbose, out bool probeGateway, out var gatewayAddress) is { } problem)
        {
            return UsageError.Write(stderr, check.Command, problem);
        }

        using var loggerFactory = new CliLoggerFactory(new StderrLoggerProvider(stderr, verbose ? LogLevel.Debug : LogLevel.Error));
        NatDiscoveryReport report;
        try
        {
            report = await new NatDiscoveryClient(options, loggerFactory).RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            return UsageError.Write(stderr, check.Command, check.Command.Describe(ex));
        }
        catch (NatMapException ex)
        {
            return CliSyntax.Fail(stderr, "natmap: check: " + ex.Message);
        }

        var gateway = probeGateway
            ? await GatewayProbe.RunAsync(gatewayAddress, options.BindAddress, options.BindInterface, cancellationToken).ConfigureAwait(false)
            : null;
        await stdout.WriteAsync(json ? NatDiscoveryText.FormatJson(report, gateway) : NatDiscoveryText.FormatTable(report, gateway)).ConfigureAwait(false);
        await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return report.AnyServerAnswered ? ExitCodes.Success : CliSyntax.Fail(stderr, "natmap: check: no STUN server answered");
    }
}
