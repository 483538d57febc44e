using System.Runtime.InteropServices;

namespace NatMap.Tests.Cli;

/// <summary>kill(2), to send SIGTERM or SIGINT (Process.Kill only sends SIGKILL).</summary>
internal static partial class Posix
{
    public const int SigInt = 2;
    public const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
