using System.Runtime.InteropServices;
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
