using System.Runtime.Versioning;
using NatMap.Cli;
using NatMap.Discovery;
using NatMap.Mapping;
using NatMap.Notify;

namespace NatMap.Tests.Cli;

/// <summary>The plumbing <c>natmap</c> and <c>natmap check</c> share: one wording for one mistake, in one format.</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData("-4 -6 -u -s a", "check -4 -6 -s a")]
    [InlineData("-u -s a:70000", "check -s a:70000")]
    [InlineData("-u -s [2001:db8::1", "check -s [2001:db8::1")]
    [InlineData("-u -s 010.0.0.1", "check -s 010.0.0.1")]
    [InlineData("-u -s a -b 70000", "check -s a -b 70000")]
    [InlineData("-u -s a -b x", "check -s a -b x")]
    [InlineData("-u -s a -i 010.0.0.1", "check -s a -i 010.0.0.1")]
    [InlineData("-u -s a -i 2001:db8::1", "check -s a -i 2001:db8::1")]
    [InlineData("-u", "check")]
    [InlineData("-u -s", "check -s")]
    [InlineData("-u -s a -i lo -i lo", "check -s a -i lo -i lo")]
    [InlineData("-u -s a --bogus", "check -s a --bogus")]
    public async Task Run_SameMistakeInBothCommands_SameLineAndHintFormat(string natmap, string check)
    {
        var mapper = await RunAsync(natmap.Split(' '));
        var checker = await RunAsync(check.Split(' '));

        Assert.Equal((2, 2), (mapper.ExitCode, checker.ExitCode));
        Assert.Equal(2, mapper.Lines.Length);
        Assert.Equal(2, checker.Lines.Length);
        Assert.StartsWith("natmap: ", mapper.Lines[0], StringComparison.Ordinal);
        Assert.Equal(mapper.Lines[0].Replace("natmap: ", "natmap: check: ", StringComparison.Ordinal), checker.Lines[0]);
        Assert.Equal("Try 'natmap --help'.", mapper.Lines[1]);
        Assert.Equal("Try 'natmap check --help'.", checker.Lines[1]);
    }

    [Fact]
    public async Task Run_BadPort_OneWordingForBAndP()
    {
        var bind = await RunAsync(["-u", "-s", "a", "-b", "70000"]);
        var target = await RunAsync(["-u", "-s", "a", "-t", "x", "-p", "70000"]);
        var check = await RunAsync(["check", "-s", "a", "-b", "70000"]);

        Assert.Equal("natmap: -b: port 70000 is out of range: expected 0 to 65535", bind.Lines[0]);
        Assert.Equal("natmap: -p: port 70000 is out of range: expected 0 to 65535", target.Lines[0]);
        Assert.Equal("natmap: check: -b: port 70000 is out of range: expected 0 to 65535", check.Lines[0]);
    }

    [Theory]
    [InlineData("-o")]
    [InlineData("-t")]
    public void CheckBind_TcpOnlyLetterAndHiddenAlias_TestTcpOnly(string flag)
    {
        var command = new NatMapCommand();
        var parsed = command.Parse(["check", "-s", "127.0.0.1", flag]);
        Assert.Null(parsed.Error);
        var options = new NatDiscoveryOptions();

        Assert.Null(command.Check.Bind(parsed, options, out _, out _, out _, out _));
        Assert.True(options.TestTcp);
        Assert.False(options.TestUdp);
    }

    [Fact]
    public async Task CheckHelp_ListsTcpOnlyAsO_HidesOldT()
    {
        var help = await RunAsync(["check", "--help"]);

        Assert.Equal(0, help.ExitCode);
        Assert.Contains(help.Stdout, l => l.TrimStart().StartsWith("-o ", StringComparison.Ordinal) && l.Contains("TCP only", StringComparison.Ordinal));
        Assert.DoesNotContain(help.Stdout, l => l.TrimStart().StartsWith("-t", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(nameof(PortMapperOptions.KeepAliveInterval), "-k")]
    [InlineData(nameof(PortMapperOptions.UdpCheckCycle), "-c")]
    [InlineData(nameof(PortMapperOptions.StunServers), "-s")]
    [InlineData(nameof(PortMapperOptions.HttpServer), "-h")]
    [InlineData(nameof(PortMapperOptions.TargetHost), "-t")]
    [InlineData(nameof(PortMapperOptions.TargetPort), "-p")]
    [InlineData(nameof(PortMapperOptions.IdleTimeout), "-T")]
    [InlineData(nameof(PortMapperOptions.BindInterface), "-i")]
    [InlineData(nameof(PortMapperOptions.BindAddress), "-i")]
    [InlineData(nameof(PortMapperOptions.CongestionControl), "-C")]
    [InlineData(nameof(PortMapperOptions.Protocol), "-u")]
    [InlineData(nameof(PortMapperOptions.AddressFamily), "-4/-6")]
    [InlineData(nameof(PortMapperOptions.Port), "-b")]
    [InlineData(nameof(PortMapperOptions.FirewallMark), "-f")]
    [InlineData(nameof(PortMapperOptions.ForwardMethod), "--forward-method")]
    [InlineData(nameof(PortMapperOptions.ForwardMasquerade), "--forward-masquerade")]
    [InlineData(nameof(PortMapperOptions.Gateway), "--upnp")]
    [InlineData(nameof(PortMapperOptions.GatewayAddress), "--gateway")]
    [InlineData(nameof(PortMapperOptions.GatewayLease), "--upnp-lease")]
    [InlineData(nameof(ServiceStatusOptions.Name), "--name")]
    [InlineData(nameof(ServiceStatusOptions.StatusFile), "--status-file")]
    [InlineData("scriptPath", "-e")]
    public void Describe_LibraryArgumentException_NamesTheOptionLetter(string property, string letter) =>
        AssertNames(new NatMapCommand().Root, property, letter);

    [Theory]
    [InlineData(nameof(NatDiscoveryOptions.RequestTimeout), "--timeout")]
    [InlineData(nameof(NatDiscoveryOptions.MaxLifetimeProbe), "--lifetime-max")]
    [InlineData(nameof(NatDiscoveryOptions.StunServers), "-s")]
    [InlineData(nameof(NatDiscoveryOptions.Port), "-b")]
    [InlineData(nameof(NatDiscoveryOptions.AddressFamily), "-4/-6")]
    [InlineData(nameof(NatDiscoveryOptions.BindAddress), "-i")]
    public void CheckDescribe_LibraryArgumentException_NamesTheOptionLetter(string property, string letter) =>
        AssertNames(new NatMapCommand().Check.Command, property, letter);

    [Fact]
    public void Describe_ValidateOfBoundOptions_NamesTheOptionLetter()
    {
        var mapper = new PortMapperOptions { Protocol = MappingProtocol.Udp, KeepAliveInterval = TimeSpan.FromDays(30) };
        mapper.StunServers.Add(NatMap.Stun.StunServerEndPoint.Parse("a"));

        var ex = Assert.ThrowsAny<ArgumentException>(mapper.Validate);

        Assert.Equal("-k: keep-alive interval 2592000 s is invalid: it must be positive and under 24 days", new NatMapCommand().Root.Describe(ex));
    }

    private static void AssertNames(NatMap.CommandLine.Command command, string property, string letter)
    {
        Assert.Equal(letter + ": it is wrong", command.Describe(new ArgumentException("it is wrong.", property)));
        Assert.Equal(letter + ": it is out of range", command.Describe(new ArgumentOutOfRangeException(property, "it is out of range.")));
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public async Task Run_ScriptNotExecutable_RefusedAtStart()
    {
        RequireUnix();
        var script = Path.GetTempFileName();
        try
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var run = await RunAsync(["-u", "-s", "a", "-e", script]);

            Assert.Equal(2, run.ExitCode);
            Assert.Equal($"natmap: -e: script '{script}' is not executable", run.Lines[0]);
            Assert.False(run.MapperCreated);
        }
        finally
        {
            File.Delete(script);
        }
    }

    [Fact]
    public async Task Run_ScriptNamedOnPath_IsAccepted()
    {
        RequireUnix();
        var run = await RunAsync(["-u", "-s", "a", "-e", "true"]);

        // The fake mapper ends at once: a runtime failure, not a usage error.
        Assert.Equal(1, run.ExitCode);
        Assert.True(run.MapperCreated);
    }

    private static void RequireUnix() => Assert.SkipWhen(OperatingSystem.IsWindows(), "-e's executable check is POSIX access(2)");

    private static async Task<(int ExitCode, string[] Lines, string[] Stdout, bool MapperCreated)> RunAsync(string[] args)
    {
        var run = await CliHarness.RunAsync(args);
        return (run.ExitCode, run.ErrorLines, run.Stdout.Split('\n'), run.MapperCreated);
    }
}
