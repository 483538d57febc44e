namespace NatMap.Cli;

/// <summary>Process exit codes of <c>natmap</c>.</summary>
internal static class ExitCodes
{
    /// <summary>Stopped cleanly (signal or cancellation), help or version printed, or detached to the background.</summary>
    public const int Success = 0;

    /// <summary>A runtime failure after the command line was accepted.</summary>
    public const int Fatal = 1;

    /// <summary>The command line is invalid: nothing was started.</summary>
    public const int Usage = 2;
}
