using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Cli.Logging;
using NatMap.CommandLine;
using NatMap.Forwarding;
using NatMap.Mapping;
using NatMap.Notify;
using NatMap.Notify.Internal;

namespace NatMap.Cli;

/// <summary><c>natmap</c>'s action: runs the mapper and reports each change (the classic line, JSON, or the notify script).</summary>
internal static class MappingRunner
{
    /// <summary>How long a stop waits for notify scripts still running, so their outcome is logged.</summary>
    public static readonly TimeSpan ScriptGracePeriod = TimeSpan.FromSeconds(5);

    /// <summary>Binds and checks <c>natmap</c>'s command line, detaches for <c>-d</c>, then runs until cancelled; returns the exit code.</summary>
    public static async Task<int> RunAsync(NatMapCommand command, ParseResult result, IReadOnlyList<string> args, CliContext context, CancellationToken cancellationToken)
    {
        if (command.IsCleanup(result))
        {
            return CleanupNftables(context);
        }

        var mapperOptions = new PortMapperOptions();
        var problem = command.Bind(result, mapperOptions, out var options, context.Environment);
        try
        {
            mapperOptions.Validate();
            if (options.Script is { } script)
            {
                ScriptNotifier.EnsureRunnable(script);
            }
        }
        catch (ArgumentException ex)
        {
            problem ??= command.Root.Describe(ex);
        }

        if (problem is { } message)
        {
            return UsageError.Write(context.Stderr, command.Root, message);
        }

        using var loggerFactory = new CliLoggerFactory(new StderrLoggerProvider(context.Stderr, options.LogLevel));
        var logger = loggerFactory.CreateLogger("NatMap.Cli");
        if (options.PortReuseWait is { } wait)
        {
            CliLog.ReuseWaitIgnored(logger, wait);
        }

        // Kernel forwarding that cannot work fails here, in one line, before a socket is bound or the process detaches.
        if (mapperOptions.ForwardMethod == ForwardMethod.Nftables && !Daemon.IsChild)
        {
            try
            {
                NftablesForwarder.CheckAvailable();
            }
            catch (NatMapException ex)
            {
                return CliSyntax.Fail(context.Stderr, "natmap: --forward-method nftables: " + UsageError.OneLine(ex.Message));
            }
        }

        if (options.Detach && !Daemon.IsChild)
        {
            return context.Detacher(args, logger);
        }

        return await WatchAsync(options, mapperOptions, context, loggerFactory, logger, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>--cleanup-nftables</c>: removes every table of natmap's in one transaction and names each on standard error.</summary>
    private static int CleanupNftables(CliContext context)
    {
        IReadOnlyList<string> removed;
        try
        {
            removed = NftablesForwarder.RemoveAll();
        }
        catch (NatMapException ex)
        {
            return CliSyntax.Fail(context.Stderr, "natmap: --cleanup-nftables: " + UsageError.OneLine(ex.Message));
        }

        context.Stderr.WriteLine(removed.Count == 0 ? "natmap: no nftables table of natmap's found" : "natmap: removed nftables table inet " + string.Join(", inet ", removed));
        context.Stderr.Flush();
        return ExitCodes.Success;
    }

    private static async Task<int> WatchAsync(CliOptions options, PortMapperOptions mapperOptions, CliContext context, ILoggerFactory loggerFactory, ILogger logger, CancellationToken cancellationToken)
    {
        string family = mapperOptions.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
        CliLog.Started(logger, MappingText.FormatProtocol(mapperOptions.Protocol), family, mapperOptions.Port.ToString(), string.Join(", ", mapperOptions.StunServers));

        using var gcReportStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task gcReport = GcReport.RunAsync(logger, gcReportStop.Token);
        var notifier = options.Script is null ? null : new ScriptNotifier(options.Script, loggerFactory) { Name = options.Name };
        var notifiers = options.Notifiers.Select(create => create(loggerFactory)).ToList();
        var mapper = context.MapperFactory(mapperOptions, loggerFactory);
        using var reporter = new ServiceStatusReporter(mapper, mapperOptions, options.Status, loggerFactory);
        reporter.Start();

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
                reporter.Update();
                if ((options.Json ? MappingJson.Format(change, options.Name) : notifier is null ? line : null) is { } output)
                {
                    await context.Stdout.WriteLineAsync(output).ConfigureAwait(false);
                    await context.Stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }

                notifier?.NotifyAsync(change);
                foreach (var builtIn in notifiers)
                {
                    builtIn.Notify(change);
                }
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
            reporter.Stop();
            await StopNotifiersAsync(notifier, notifiers, logger).ConfigureAwait(false);
        }

        CliLog.Stopped(logger);
        return ExitCodes.Success;
    }

    /// <summary>
    /// Scripts still running and a change still being delivered share one grace period; then the scripts
    /// are left to finish on their own (the notifier logs them) and an undelivered change is dropped.
    /// </summary>
    private static async Task StopNotifiersAsync(ScriptNotifier? script, List<MappingNotifier> notifiers, ILogger logger)
    {
        int scripts = script?.RunningCount ?? 0;
        if (scripts + notifiers.Count > 0)
        {
            CliLog.WaitingForNotifiers(logger, (int)ScriptGracePeriod.TotalSeconds, scripts, notifiers.Count);
            var pending = notifiers.Select(n => n.WaitForIdleAsync()).Append(script?.WaitForRunningAsync() ?? Task.CompletedTask);
            await Task.WhenAll(pending).WaitAsync(ScriptGracePeriod).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (script is not null)
        {
            await script.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var notifier in notifiers)
        {
            await notifier.DisposeAsync().ConfigureAwait(false);
        }
    }
}
