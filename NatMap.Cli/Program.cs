using System.Runtime.InteropServices;
using NatMap.CommandLine;
using NatMap.Mapping;

namespace NatMap.Cli;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        Daemon.EnterBackgroundIfChild();

        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            // A second signal while stopping is left to its default action, which ends the process at once.
            context.Cancel = !stop.IsCancellationRequested;
            stop.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        var context = new CliContext(Console.Out, Console.Error, static (options, logs) => PortMapper.Create(options, logs), Daemon.Detach);
        return await Cli.RunAsync(args, context, stop.Token).ConfigureAwait(false);
    }
}

/// <summary>The command line, runnable in-process: parse, invoke <see cref="MappingRunner"/> or <see cref="Check.CheckCommand"/>, report what fails.</summary>
internal static class Cli
{
    /// <summary>Runs <c>natmap</c> or <c>natmap check</c> with <paramref name="args"/>; returns the exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken)
    {
        var command = new NatMapCommand();
        command.Root.SetAction((result, ct) => MappingRunner.RunAsync(command, result, args, context, ct));
        command.Check.Command.SetAction((result, ct) => Check.CheckCommand.RunAsync(command.Check, result, context, ct));
        try
        {
            return await command.Root.InvokeAsync(args, context.Stdout, context.Stderr, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }
        catch (Exception ex)
        {
            return CliSyntax.Fail(context.Stderr, "natmap: fatal: " + UsageError.OneLine(ex.Message));
        }
    }
}
