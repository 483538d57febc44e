using BenchmarkDotNet.Running;
using NatMap.Benchmarks.Forwarding;

namespace NatMap.Benchmarks;

internal static class Program
{
    private static int Main(string[] args)
    {
        // Not a user-facing command: scripts/bench-forward.sh runs the forwarders through this.
        if (args.Length > 0 && args[0] == "forward")
        {
            return ForwardHarness.Run(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
