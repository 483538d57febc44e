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
            if (stop.IsCancellationRequested)
            {
                // A second signal while stopping: let the default action end the process at once.
                return;
            }

            context.Cancel = true;
            stop.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        var context = new CliContext(Console.Out, Console.Error, static (options, logs) => PortMapper.Create(options, logs), Daemon.Detach);
        return await Cli.RunAsync(args, context, stop.Token).ConfigureAwait(false);
    }
}
