using System.Net;
using System.Runtime.Versioning;
using System.Text.Json;
using NatMap.Cli;
using NatMap.Internal;
using NatMap.Mapping;

namespace NatMap.Tests.Cli;

public sealed class CliRunnerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly MappingChanged First = new(MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555"));

    [Fact]
    public async Task Run_RepeatedMapping_PrintsOnlyChanges()
    {
        var mapper = new FakePortMapper();
        var second = new MappingChanged(MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45600"), IPEndPoint.Parse("192.0.2.2:5555"), First);
        mapper.Emit(First);
        mapper.Emit(new MappingChanged(MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555")));
        mapper.Emit(second);
        mapper.Emit(second);
        mapper.End();

        var run = await RunAsync(mapper, "-s", "203.0.113.2", "-h", "203.0.113.2", "-b", "5555");

        Assert.Equal(
            ["203.0.113.1 45555 2001::b1f3:cb00:7101 5555 tcp 192.0.2.2", "203.0.113.1 45600 2001::b220:cb00:7101 5555 tcp 192.0.2.2"],
            run.Stdout.Lines);

        // The mapper is meant to run until stopped; ending by itself is a runtime failure.
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(run.Stderr.Lines, l => l.Contains("stopped without being asked", StringComparison.Ordinal));
        Assert.Equal(1, mapper.DisposeCount);
    }

    [Fact]
    public async Task Run_Ipv6Mapping_PrintsEmptyIp4pFieldAsOriginal()
    {
        var mapper = new FakePortMapper();
        mapper.Emit(new MappingChanged(MappingProtocol.Udp, IPEndPoint.Parse("[2001:db8::1]:45555"), IPEndPoint.Parse("[2001:db8:1::2]:5555")));
        mapper.End();

        var run = await RunAsync(mapper, "-6", "-u", "-s", "[2001:db8::3]:3478");

        Assert.Equal(["2001:db8::1 45555  5555 udp 2001:db8:1::2"], run.Stdout.Lines);
    }

    [Fact]
    public async Task Run_Json_PrintsOneObjectPerChange()
    {
        var mapper = new FakePortMapper();
        var second = new MappingChanged(MappingProtocol.Udp, IPEndPoint.Parse("203.0.113.1:45600"), IPEndPoint.Parse("192.0.2.2:5556"), First);
        mapper.Emit(First);
        mapper.Emit(second);
        mapper.Emit(new MappingChanged(MappingProtocol.Udp, IPEndPoint.Parse("[2001:db8::1]:40000"), IPEndPoint.Parse("[2001:db8::2]:5556")));
        mapper.End();

        var run = await RunAsync(mapper, "-u", "-s", "203.0.113.2", "--json");

        Assert.Equal(3, run.Stdout.Lines.Length);
        using (var doc = JsonDocument.Parse(run.Stdout.Lines[0]))
        {
            var root = doc.RootElement;
            Assert.Equal("mapping", root.GetProperty("event").GetString());
            Assert.Equal("tcp", root.GetProperty("protocol").GetString());
            Assert.Equal("203.0.113.1", root.GetProperty("publicAddress").GetString());
            Assert.Equal(45555, root.GetProperty("publicPort").GetInt32());
            Assert.Equal("2001::b1f3:cb00:7101", root.GetProperty("ip4p").GetString());
            Assert.Equal("192.0.2.2", root.GetProperty("privateAddress").GetString());
            Assert.Equal(5555, root.GetProperty("privatePort").GetInt32());
            Assert.Equal(JsonValueKind.Null, root.GetProperty("previousPublicAddress").ValueKind);
            Assert.Equal(JsonValueKind.Null, root.GetProperty("previousPrivatePort").ValueKind);
        }

        using (var doc = JsonDocument.Parse(run.Stdout.Lines[1]))
        {
            var root = doc.RootElement;
            Assert.Equal("udp", root.GetProperty("protocol").GetString());
            Assert.Equal(45600, root.GetProperty("publicPort").GetInt32());
            Assert.Equal("203.0.113.1", root.GetProperty("previousPublicAddress").GetString());
            Assert.Equal(45555, root.GetProperty("previousPublicPort").GetInt32());
            Assert.Equal("192.0.2.2", root.GetProperty("previousPrivateAddress").GetString());
            Assert.Equal(5555, root.GetProperty("previousPrivatePort").GetInt32());
        }

        using (var doc = JsonDocument.Parse(run.Stdout.Lines[2]))
        {
            Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("ip4p").ValueKind);
            Assert.Equal("2001:db8::1", doc.RootElement.GetProperty("publicAddress").GetString());
        }
    }

    [Fact]
    public async Task Run_Cancelled_StopsCleanlyWithExitZero()
    {
        var mapper = new FakePortMapper();
        var stdout = new LineWriter();
        var stderr = new LineWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var context = new CliContext(stdout, stderr, (_, _) => mapper, (_, _) => throw new InvalidOperationException("must not detach"));

        var run = NatMap.Cli.Cli.RunAsync(["-u", "-s", "203.0.113.2"], context, stop.Token);
        mapper.Emit(First);
        await stdout.WaitForLinesAsync(1).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.False(run.IsCompleted);
        stop.Cancel();

        Assert.Equal(0, await run.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(["203.0.113.1 45555 2001::b1f3:cb00:7101 5555 tcp 192.0.2.2"], stdout.Lines);
        Assert.Contains(stderr.Lines, l => l.Contains("Stopping", StringComparison.Ordinal));
        Assert.DoesNotContain(stderr.Lines, l => l.Contains("error", StringComparison.Ordinal) || l.Contains("fatal", StringComparison.Ordinal));
        Assert.Equal(1, mapper.DisposeCount);
    }

    [Fact]
    public async Task Run_MapperFails_ExitsOneWithOneLineAndNoStackTrace()
    {
        var mapper = new FakePortMapper { FailWith = ThrowHelper.Create(NatMapErrorKind.BindFailed, "cannot bind 0.0.0.0:5555: address in use") };
        mapper.End();

        var run = await RunAsync(mapper, "-u", "-s", "203.0.113.2", "-b", "5555");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("natmap: fatal: cannot bind 0.0.0.0:5555: address in use", run.Stderr.Lines[^1]);
        Assert.DoesNotContain(run.Stderr.Lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.Equal(1, mapper.DisposeCount);
    }

    [Fact]
    public async Task Run_MapperFailsWithMultiLineMessage_StillPrintsOneLine()
    {
        var mapper = new FakePortMapper { FailWith = new InvalidOperationException("first part\nsecond part\n") };
        mapper.End();

        var run = await RunAsync(mapper, "-u", "-s", "203.0.113.2");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("natmap: fatal: first part second part", run.Stderr.Lines[^1]);
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public async Task Run_WithScript_RunsScriptInsteadOfPrinting()
    {
        var dir = Directory.CreateTempSubdirectory("natmap-cli-").FullName;
        try
        {
            var script = Path.Combine(dir, "notify.sh");
            File.WriteAllText(script, "#!/bin/sh\necho \"$# $*\" >> \"$(dirname \"$0\")/calls.txt\"\n");
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var mapper = new FakePortMapper();
            mapper.Emit(First);
            mapper.End();

            var run = await RunAsync(mapper, "-s", "203.0.113.2", "-h", "203.0.113.2", "-e", script);

            // The runner waits (up to a grace period) for scripts still running before it returns.
            Assert.Empty(run.Stdout.Lines);
            Assert.Equal(["6 203.0.113.1 45555 2001::b1f3:cb00:7101 5555 tcp 192.0.2.2"], File.ReadAllLines(Path.Combine(dir, "calls.txt")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Run_ScriptAndJson_PrintsJsonToo()
    {
        var mapper = new FakePortMapper();
        mapper.Emit(First);
        mapper.End();

        var run = await RunAsync(mapper, "-u", "-s", "203.0.113.2", "-e", "/bin/true", "--json");

        Assert.Single(run.Stdout.Lines);
        Assert.StartsWith("{\"event\":\"mapping\"", run.Stdout.Lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_FullCommandLine_PassesOptionsToMapperFactory()
    {
        PortMapperOptions? seen = null;
        var mapper = new FakePortMapper();
        mapper.End();
        var context = new CliContext(new LineWriter(), new LineWriter(), (o, _) => { seen = o; return mapper; }, (_, _) => throw new InvalidOperationException("must not detach"));

        await NatMap.Cli.Cli.RunAsync(
            ["-6", "-u", "-i", "eth1", "-k", "7", "-c", "3", "-s", "[2001:db8::2]:3479", "-s", "stun.example", "-f", "0x10", "-b", "5555~5600", "-C", "cubic"],
            context,
            TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.NotNull(seen);
        Assert.Equal(System.Net.Sockets.AddressFamily.InterNetworkV6, seen.AddressFamily);
        Assert.Equal(MappingProtocol.Udp, seen.Protocol);
        Assert.Equal("eth1", seen.BindInterface);
        Assert.Equal(TimeSpan.FromSeconds(7), seen.KeepAliveInterval);
        Assert.Equal(3, seen.UdpCheckCycle);
        Assert.Equal(["[2001:db8::2]:3479", "stun.example:3478"], seen.StunServers.Select(s => s.ToString()));
        Assert.Equal(16u, seen.FirewallMark);
        Assert.Equal(PortSpec.Range(5555, 5600, random: true), seen.Port);
        Assert.Equal("cubic", seen.CongestionControl);
    }

    [Fact]
    public async Task Run_Detach_HandsOverAfterValidationWithoutStartingTheMapper()
    {
        IReadOnlyList<string>? detachedWith = null;
        bool created = false;
        var context = new CliContext(
            new LineWriter(),
            new LineWriter(),
            (_, _) => { created = true; return new FakePortMapper(); },
            (args, _) => { detachedWith = args; return 0; });

        int exitCode = await NatMap.Cli.Cli.RunAsync(["-d", "-u", "-s", "203.0.113.2"], context, TestContext.Current.CancellationToken)
            .WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(0, exitCode);
        Assert.False(created);
        Assert.Equal(["-d", "-u", "-s", "203.0.113.2"], detachedWith);
    }

    [Fact]
    public async Task Run_DetachWithBadCommandLine_FailsInForegroundWithoutDetaching()
    {
        bool detached = false;
        var stderr = new LineWriter();
        var context = new CliContext(new LineWriter(), stderr, (_, _) => new FakePortMapper(), (_, _) => { detached = true; return 0; });

        int exitCode = await NatMap.Cli.Cli.RunAsync(["-d", "-s", "203.0.113.2"], context, TestContext.Current.CancellationToken)
            .WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(2, exitCode);
        Assert.False(detached);
        Assert.Contains("-h: no HTTP server given", stderr.Lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ReuseWaitOption_LogsThatItIsIgnored()
    {
        var mapper = new FakePortMapper();
        mapper.End();

        var run = await RunAsync(mapper, "-u", "-s", "203.0.113.2", "-w", "3");

        Assert.Contains(run.Stderr.Lines, l => l.StartsWith("natmap: warn: Option -w 3 is ignored", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_Verbose_LogsDebugWithCategoryAndEventId()
    {
        var mapper = new FakePortMapper();
        mapper.Emit(First);
        mapper.End();

        var quiet = await RunAsync(mapper, "-u", "-s", "203.0.113.2");
        Assert.Single(quiet.Stdout.Lines);
        Assert.Contains(quiet.Stderr.Lines, l => l.StartsWith("natmap: info: Started", StringComparison.Ordinal) && !l.Contains('#', StringComparison.Ordinal));

        var mapper2 = new FakePortMapper();
        mapper2.Emit(First);
        mapper2.End();
        var verbose = await RunAsync(mapper2, "-u", "-s", "203.0.113.2", "-v");
        Assert.Contains(verbose.Stderr.Lines, l => l.StartsWith("natmap: info: Started", StringComparison.Ordinal) && l.EndsWith("[NatMap.Cli #6000]", StringComparison.Ordinal));
        Assert.Contains(verbose.Stderr.Lines, l => l.StartsWith("natmap: debug: Reported: 203.0.113.1 45555", StringComparison.Ordinal));
        Assert.DoesNotContain(quiet.Stderr.Lines, l => l.StartsWith("natmap: debug:", StringComparison.Ordinal));
    }

    private static async Task<(int ExitCode, LineWriter Stdout, LineWriter Stderr)> RunAsync(FakePortMapper mapper, params string[] args)
    {
        var stdout = new LineWriter();
        var stderr = new LineWriter();
        var context = new CliContext(stdout, stderr, (_, _) => mapper, (_, _) => throw new InvalidOperationException("must not detach"));
        int exitCode = await NatMap.Cli.Cli.RunAsync(args, context, TestContext.Current.CancellationToken)
            .WaitAsync(Timeout, TestContext.Current.CancellationToken);
        return (exitCode, stdout, stderr);
    }
}
