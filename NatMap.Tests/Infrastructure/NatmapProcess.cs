namespace NatMap.Tests.Infrastructure;

/// <summary>
/// The built natmap CLI (natmap.dll in the test output, since the test project references
/// NatMap.Cli) run as a black box, inside a testbed namespace or on the host. Stdout carries the
/// mapping lines, stderr the logs; both are captured line by line.
/// </summary>
internal sealed class NatmapProcess : IAsyncDisposable
{
    private NatmapProcess(CapturedProcess process, bool owned)
    {
        Process = process;
        Owned = owned;
    }

    public CapturedProcess Process { get; }

    private bool Owned { get; }

    /// <summary>
    /// How to start the CLI: NATMAP_CLI_PATH when set (e.g. the NativeAOT build of
    /// scripts/publish-aot.sh), else the `dotnet` host with natmap.dll (works wherever the tests
    /// run), else the natmap apphost beside the tests.
    /// </summary>
    public static (string FileName, string[] Prefix) Command
    {
        get
        {
            if (System.Environment.GetEnvironmentVariable("NATMAP_CLI_PATH") is { Length: > 0 } path)
            {
                return (Path.GetFullPath(path), []);
            }

            var dll = Path.Combine(AppContext.BaseDirectory, "natmap.dll");
            if (File.Exists(dll))
            {
                return (DotnetHost(), [dll]);
            }

            var apphost = Path.Combine(AppContext.BaseDirectory, "natmap");
            if (File.Exists(apphost))
            {
                return (apphost, []);
            }

            throw new InvalidOperationException("natmap.dll is not in " + AppContext.BaseDirectory + "; build NatMap.Tests (it references NatMap.Cli)");
        }
    }

    /// <summary>Starts natmap with <paramref name="arguments"/> in a testbed namespace; the testbed stops it on dispose.</summary>
    public static NatmapProcess Start(Testbed testbed, TestbedNode node, params string[] arguments)
    {
        var (file, prefix) = Command;
        return new NatmapProcess(testbed.Start(node, file, [.. prefix, .. arguments], Environment()), owned: false);
    }

    /// <summary>Starts natmap with <paramref name="arguments"/> in the host namespace (for tests that need no network).</summary>
    public static NatmapProcess StartOnHost(params string[] arguments)
    {
        var (file, prefix) = Command;
        return new NatmapProcess(CapturedProcess.Start(file, [.. prefix, .. arguments], Environment(), "natmap"), owned: true);
    }

    /// <summary>The next stdout line (a mapping line when run without -e).</summary>
    public Task<string> ReadMappingAsync(TimeSpan timeout) =>
        Process.ReadLineAsync(line => line.Length > 0, timeout, "(a mapping)");

    /// <summary>The next stdout line that <paramref name="match"/> accepts; others are skipped.</summary>
    public Task<string> ReadMappingAsync(Func<string, bool> match, TimeSpan timeout, string what) =>
        Process.ReadLineAsync(match, timeout, what);

    /// <summary>SIGTERM (or <paramref name="signal"/>), then the exit code.</summary>
    public Task<int> StopAsync(TimeSpan timeout, int signal = NativeSignals.SigTerm) => Process.StopAsync(timeout, signal);

    public async ValueTask DisposeAsync()
    {
        if (Owned)
        {
            await Process.DisposeAsync();
        }
    }

    private static string DotnetHost()
    {
        // Set by the dotnet CLI for the processes it starts (dotnet test, dotnet run).
        if (System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        if (System.Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        return Requirements.FindOnPath("dotnet") ?? throw new InvalidOperationException("the dotnet host is not on PATH");
    }

    private static Dictionary<string, string> Environment() => new()
    {
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
    };
}
