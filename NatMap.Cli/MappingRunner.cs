using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Mapping;
using NatMap.Notify;

namespace NatMap.Cli;

/// <summary>Runs the mapper and reports each change: the classic line, JSON, or the notify script.</summary>
internal static class MappingRunner
{
    /// <summary>How long a stop waits for notify scripts still running, so their outcome is logged.</summary>
    public static readonly TimeSpan ScriptGracePeriod = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(CliOptions options, PortMapperOptions mapperOptions, CliContext context, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var logger = loggerFactory.CreateLogger("NatMap.Cli");
        CliLog.Started(
            logger,
            MappingText.FormatProtocol(mapperOptions.Protocol),
            mapperOptions.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4",
            mapperOptions.Port.ToString(),
            string.Join(", ", mapperOptions.StunServers));

        using var gcReportStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task gcReport = GcReport.RunAsync(logger, gcReportStop.Token);
        var notifier = options.Script is null ? null : new ScriptNotifier(options.Script, loggerFactory);
        var mapper = context.MapperFactory(mapperOptions, loggerFactory);
        try
        {
            MappingChanged? last = null;
            await foreach (var change in mapper.WatchAsync(cancellationToken).ConfigureAwait(false))
            {
                if (change.IsSameMapping(last))
                {
                    continue;
                }

                last = change;
                var line = MappingText.FormatLine(change);
                CliLog.MappingChanged(logger, line);
                if ((options.Json ? MappingJson.Format(change) : notifier is null ? line : null) is { } output)
                {
                    await context.Stdout.WriteLineAsync(output).ConfigureAwait(false);
                    await context.Stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }

                notifier?.NotifyAsync(change);
            }

            if (!cancellationToken.IsCancellationRequested)
            {
                CliLog.MapperEnded(logger);
                return ExitCodes.Fatal;
            }

            // The mapper ended its stream quietly on cancellation instead of throwing.
            CliLog.Stopping(logger);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            CliLog.Stopping(logger);
        }
        finally
        {
            await gcReportStop.CancelAsync().ConfigureAwait(false);
            await gcReport.ConfigureAwait(false);
            await mapper.DisposeAsync().ConfigureAwait(false);
            if (notifier is not null)
            {
                await StopNotifierAsync(notifier, logger).ConfigureAwait(false);
            }
        }

        CliLog.Stopped(logger);
        return ExitCodes.Success;
    }

    private static async Task StopNotifierAsync(ScriptNotifier notifier, ILogger logger)
    {
        if (notifier.RunningCount is int running and > 0)
        {
            CliLog.WaitingForScripts(logger, (int)ScriptGracePeriod.TotalSeconds, running);

            // Scripts never fault, and those still running at the timeout are logged by DisposeAsync.
            await notifier.WaitForRunningAsync().WaitAsync(ScriptGracePeriod).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await notifier.DisposeAsync().ConfigureAwait(false);
    }
}
