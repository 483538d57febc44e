namespace NatMap.Tests.Infrastructure;

/// <summary>The outcome of a short command run to completion.</summary>
internal sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}
