using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Testbed.Library;

/// <summary>
/// The test side of <see cref="LibraryDriver"/>: this test executable started again in a testbed
/// namespace with the driver's hidden argument, its event lines read back as <see cref="MappingEvent"/>s.
/// The testbed stops it (SIGTERM) when disposed.
/// </summary>
internal sealed class LibraryDriverProcess
{
    private LibraryDriverProcess(CapturedProcess process) => Process = process;

    public CapturedProcess Process { get; }

    /// <summary>Starts the driver in <paramref name="node"/> and waits until it has created the mapper and begun watching.</summary>
    public static Task<LibraryDriverProcess> StartAsync(Infrastructure.Testbed testbed, TestbedNode node, TimeSpan timeout, params string[] arguments) =>
        StartAsync(LibraryDriver.Argument, testbed, node, timeout, arguments);

    /// <summary>Starts the <see cref="HostingDriver"/> (a Generic Host) in <paramref name="node"/>, configured by <c>key=value</c> arguments, once its host has started.</summary>
    public static Task<LibraryDriverProcess> StartHostingAsync(Infrastructure.Testbed testbed, TestbedNode node, TimeSpan timeout, params string[] configuration) =>
        StartAsync(HostingDriver.Argument, testbed, node, timeout, configuration);

    private static async Task<LibraryDriverProcess> StartAsync(string driverArgument, Infrastructure.Testbed testbed, TestbedNode node, TimeSpan timeout, string[] arguments)
    {
        var assembly = typeof(LibraryDriver).Assembly.Location;
        var process = testbed.Start(node, DotnetHost(), [assembly, driverArgument, .. arguments], new Dictionary<string, string>
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        });
        var driver = new LibraryDriverProcess(process);
        var first = await process.ReadLineAsync(line => line == "watching" || line.StartsWith("failed ", StringComparison.Ordinal), timeout, "'watching'");
        driver.ThrowIfFailed(first);
        return driver;
    }

    /// <summary>The next reported mapping; fails if the driver reports an exception, exits, or time runs out.</summary>
    public async Task<MappingEvent> NextMappingAsync(TimeSpan timeout)
    {
        var line = await Process.ReadLineAsync(
            line => line.StartsWith(MappingEvent.Prefix, StringComparison.Ordinal) || line.StartsWith("failed ", StringComparison.Ordinal),
            timeout,
            "(a mapping)");
        ThrowIfFailed(line);
        return MappingEvent.Parse(line);
    }

    /// <summary>
    /// SIGTERM: the driver cancels WatchAsync, disposes the mapper and exits. Returns the exit code once
    /// the stream has ended (the driver's <c>ended</c> line).
    /// </summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        Process.Signal();
        var line = await Process.ReadLineAsync(line => line == "ended" || line.StartsWith("failed ", StringComparison.Ordinal), timeout, "'ended'");
        ThrowIfFailed(line);
        return await Process.WaitForExitAsync(timeout);
    }

    private void ThrowIfFailed(string line)
    {
        if (line.StartsWith("failed ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the library driver failed: {line}\n{Process.Describe()}");
        }
    }

    /// <summary>The dotnet host that runs this test executable, to start it again as a helper process.</summary>
    internal static string DotnetHost()
    {
        // Set by the dotnet CLI for the processes it starts (dotnet test, dotnet run).
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        return Requirements.FindOnPath("dotnet") ?? throw new InvalidOperationException("the dotnet host is not on PATH");
    }
}
