using System.Net;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;
using NatMap.Mapping;
using NatMap.Notify;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Notify;

[SupportedOSPlatform("linux")]
public sealed class ScriptNotifierTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly string _dir = Directory.CreateTempSubdirectory("natmap-notify-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Notify_Ipv4Mapping_PassesSixArgumentsAndEnvironment()
    {
        var script = WriteRecordingScript(exitCode: 0);
        var log = new RecordingLoggerFactory();
        await using var notifier = new ScriptNotifier(script, log);
        var mapping = new MappingChanged(MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555"));

        int? exitCode = await notifier.NotifyAsync(mapping).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(0, exitCode);
        Assert.Equal(
            [
                "6",
                "arg:[203.0.113.1]", "arg:[45555]", "arg:[2001::b1f3:cb00:7101]", "arg:[5555]", "arg:[tcp]", "arg:[192.0.2.2]",
                "NATMAP_IP4P=2001::b1f3:cb00:7101",
                "NATMAP_PRIVATE_ADDR=192.0.2.2",
                "NATMAP_PRIVATE_PORT=5555",
                "NATMAP_PROTOCOL=tcp",
                "NATMAP_PUBLIC_ADDR=203.0.113.1",
                "NATMAP_PUBLIC_PORT=45555",
                "stdin:eof",
            ],
            ReadOutput());
        Assert.DoesNotContain(log.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task Notify_Ipv6Mapping_PassesEmptyIp4pArgument()
    {
        var script = WriteRecordingScript(exitCode: 0);
        await using var notifier = new ScriptNotifier(script);
        var mapping = new MappingChanged(MappingProtocol.Udp, IPEndPoint.Parse("[2001:db8::1]:45555"), IPEndPoint.Parse("[2001:db8::2]:5555"));

        Assert.Equal(0, await notifier.NotifyAsync(mapping).WaitAsync(Timeout, TestContext.Current.CancellationToken));

        var lines = ReadOutput();
        Assert.Equal("6", lines[0]);
        Assert.Equal(["arg:[2001:db8::1]", "arg:[45555]", "arg:[]", "arg:[5555]", "arg:[udp]", "arg:[2001:db8::2]"], lines[1..7]);
        Assert.Contains("NATMAP_IP4P=", lines);
        Assert.Contains("NATMAP_PROTOCOL=udp", lines);
    }

    [Fact]
    public async Task Notify_ArgumentsWithShellCharacters_AreNotInterpretedByAShell()
    {
        // A script path with a space and a quote would break under `sh -c`; run directly it just works.
        var dir = Path.Combine(_dir, "a dir 'x'");
        Directory.CreateDirectory(dir);
        var script = WriteRecordingScript(exitCode: 0, Path.Combine(dir, "notify me.sh"));
        await using var notifier = new ScriptNotifier(script);
        var mapping = new MappingChanged(MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555"));

        Assert.Equal(0, await notifier.NotifyAsync(mapping).WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal("6", File.ReadAllLines(Path.Combine(dir, "out.txt"))[0]);
    }

    [Fact]
    public async Task Notify_NonexistentScript_LogsAndDoesNotThrow()
    {
        var log = new RecordingLoggerFactory();
        var missing = Path.Combine(_dir, "no-such-script");
        await using var notifier = new ScriptNotifier(missing, log);
        var mapping = new MappingChanged(MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555"));

        int? exitCode = await notifier.NotifyAsync(mapping).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Null(exitCode);
        var entry = Assert.Single(log.Entries, e => e.Id.Id == 4503);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Contains(missing, entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Notify_NonExecutableFile_LogsAndDoesNotThrow()
    {
        var log = new RecordingLoggerFactory();
        var path = Path.Combine(_dir, "plain.txt");
        File.WriteAllText(path, "not a program\n");
        await using var notifier = new ScriptNotifier(path, log);
        var mapping = new MappingChanged(MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555"));

        Assert.Null(await notifier.NotifyAsync(mapping).WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Single(log.Entries, e => e.Id.Id == 4503);
    }

    [Fact]
    public async Task Notify_ScriptExitsNonZero_LogsWarningWithCode()
    {
        var script = WriteRecordingScript(exitCode: 3);
        var log = new RecordingLoggerFactory();
        await using var notifier = new ScriptNotifier(script, log);
        var mapping = new MappingChanged(MappingProtocol.Udp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555"));

        Assert.Equal(3, await notifier.NotifyAsync(mapping).WaitAsync(Timeout, TestContext.Current.CancellationToken));

        var entry = Assert.Single(log.Entries, e => e.Id.Id == 4502);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Contains("exited with code 3", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Notify_SlowScript_ReturnsBeforeItExitsAndIsTracked()
    {
        var gate = Path.Combine(_dir, "gate");
        var script = Path.Combine(_dir, "slow.sh");
        File.WriteAllText(script, $"#!/bin/sh\nwhile [ ! -e '{gate}' ]; do sleep 0.05; done\nexit 0\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await using var notifier = new ScriptNotifier(script);
        var mapping = new MappingChanged(MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555"));

        var run = notifier.NotifyAsync(mapping);

        Assert.False(run.IsCompleted);
        Assert.Equal(1, notifier.RunningCount);
        File.WriteAllText(gate, "");
        Assert.Equal(0, await run.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        await notifier.WaitForRunningAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(0, notifier.RunningCount);
    }

    [Fact]
    public async Task Notify_AfterDispose_Throws()
    {
        var notifier = new ScriptNotifier("/bin/true");
        await notifier.DisposeAsync();
        await notifier.DisposeAsync();
        var mapping = new MappingChanged(MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555"));
        Assert.Throws<ObjectDisposedException>(() => { _ = notifier.NotifyAsync(mapping); });
    }

    private string WriteRecordingScript(int exitCode, string? path = null)
    {
        path ??= Path.Combine(_dir, "notify.sh");
        File.WriteAllText(path, $$"""
            #!/bin/sh
            out="$(dirname "$0")/out.txt"
            {
              echo "$#"
              for a in "$@"; do echo "arg:[$a]"; done
              env | grep '^NATMAP_' | LC_ALL=C sort
              if read -r line; then echo "stdin:[$line]"; else echo "stdin:eof"; fi
            } > "$out.tmp"
            mv "$out.tmp" "$out"
            exit {{exitCode}}

            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private string[] ReadOutput() => File.ReadAllLines(Path.Combine(_dir, "out.txt"));
}
