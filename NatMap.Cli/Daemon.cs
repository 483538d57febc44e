using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using NatMap.Cli.Native;

namespace NatMap.Cli;

/// <summary>
/// <c>-d</c>: .NET cannot fork, so the program starts itself again with the same arguments and an
/// environment marker; the new process (<see cref="EnterBackgroundIfChild"/>) makes itself a session
/// leader with no terminal and points its standard streams at /dev/null, and the first exits at once.
/// </summary>
internal static class Daemon
{
    public const string MarkerVariable = "NATMAP_DETACHED_CHILD";

    /// <summary>Whether this process is the background copy started by <see cref="Detach"/>.</summary>
    public static bool IsChild { get; private set; }

    /// <summary>
    /// Called first thing in Main. In the background copy: setsid(), stdin/stdout/stderr to /dev/null,
    /// and the marker removed so that notify scripts do not inherit it.
    /// </summary>
    public static void EnterBackgroundIfChild()
    {
        if (Environment.GetEnvironmentVariable(MarkerVariable) != "1" || !OperatingSystem.IsLinux())
        {
            return;
        }

        IsChild = true;
        Environment.SetEnvironmentVariable(MarkerVariable, null);

        // Fails only if already a process group leader, which a freshly started child is not.
        _ = LibC.SetSid();
        int devNull = LibC.Open("/dev/null", LibC.ORdWr);
        if (devNull >= 0)
        {
            _ = LibC.Dup2(devNull, 0);
            _ = LibC.Dup2(devNull, 1);
            _ = LibC.Dup2(devNull, 2);
            if (devNull > 2)
            {
                _ = LibC.Close(devNull);
            }
        }
    }

    /// <summary>Starts the background copy; returns the exit code for this (foreground) process.</summary>
    public static int Detach(IReadOnlyList<string> args, ILogger logger)
    {
        var (program, prefix) = SelfCommand();
        var startInfo = new ProcessStartInfo(program, [.. prefix, .. args])
        {
            UseShellExecute = false,

            // Pipes we close at once rather than our own streams: the child must not hold the caller's
            // terminal or pipes open; it replaces these with /dev/null before anything else.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.Environment[MarkerVariable] = "1";
        using var child = new Process { StartInfo = startInfo };
        try
        {
            child.Start();
        }
        catch (Win32Exception ex)
        {
            CliLog.DetachFailed(logger, program, ex.Message);
            return ExitCodes.Fatal;
        }

        child.StandardInput.Close();
        child.StandardOutput.Close();
        child.StandardError.Close();
        CliLog.Detached(logger, child.Id);
        return ExitCodes.Success;
    }

    /// <summary>How to start this program again: the native executable, or <c>dotnet natmap.dll</c>.</summary>
    private static (string Program, string[] Prefix) SelfCommand()
    {
        var processPath = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this program is unknown, so it cannot restart itself in the background");
        var entry = Environment.GetCommandLineArgs()[0];
        bool hostedByDotnet = string.Equals(Path.GetFileNameWithoutExtension(processPath), "dotnet", StringComparison.Ordinal)
            && entry.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        return hostedByDotnet ? (processPath, [entry]) : (processPath, []);
    }
}
