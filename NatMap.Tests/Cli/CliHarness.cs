using NatMap.Cli;

namespace NatMap.Tests.Cli;

/// <summary>One in-process run of the command line with a fake mapper that ends at once and no detaching.</summary>
internal static class CliHarness
{
    public static async Task<CliRun> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        bool created = false;
        var context = new CliContext(
            stdout,
            stderr,
            (_, _) =>
            {
                created = true;
                var mapper = new FakePortMapper();
                mapper.End();
                return mapper;
            },
            (_, _) => throw new InvalidOperationException("must not detach"));
        int exitCode = await NatMap.Cli.Cli.RunAsync(args, context, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        return new CliRun(exitCode, stdout.ToString(), stderr.ToString(), created);
    }
}

/// <param name="ExitCode">What the run returned.</param>
/// <param name="Stdout">All of standard output.</param>
/// <param name="Stderr">All of standard error.</param>
/// <param name="MapperCreated">Whether the run got as far as creating the mapper.</param>
internal sealed record CliRun(int ExitCode, string Stdout, string Stderr, bool MapperCreated)
{
    public string[] ErrorLines => Stderr.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
