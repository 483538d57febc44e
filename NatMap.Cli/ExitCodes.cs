namespace NatMap.Cli;

/// <summary>Process exit codes of <c>natmap</c> and <c>natmap check</c>.</summary>
internal static class ExitCodes
{
    /// <summary>Stopped cleanly (signal or cancellation), help or version printed, detached to the background; or the check ran, whatever the verdict.</summary>
    public const int Success = 0;

    /// <summary>A runtime failure after the command line was accepted; for the check, no STUN server answered.</summary>
    public const int Fatal = 1;

    /// <summary>The command line is invalid: nothing was started.</summary>
    public const int Usage = 2;
}
