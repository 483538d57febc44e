using System.Net;
using System.Text.Json;
using NatMap.Cli;
using NatMap.Cli.Check;
using NatMap.Stun;
using NatMap.Tests.Discovery;
using NatMap.Tests.Fakes;

namespace NatMap.Tests.Cli;

public sealed class CheckCommandTests
{
    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var run = await CliHarness.RunAsync(["check", .. args]);
        Assert.False(run.MapperCreated);
        return (run.ExitCode, run.Stdout, run.Stderr);
    }

    [Fact]
    public async Task RunAsync_JsonAgainstLoopbackServer_OpenAndExitZero()
    {
        await using var server = LoopbackStunServer.Rfc5780(LoopbackStunMode.Rfc5780);

        var (code, stdout, stderr) = await RunAsync("-s", server.EndPoint.ToString(), "-u", "--json", "--timeout", "0.8");

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal("direct", root.GetProperty("mapping").GetString());
        Assert.Equal("endpoint-independent", root.GetProperty("filtering").GetString());
        Assert.Equal("open", root.GetProperty("natType").GetString());
        Assert.Equal(server.EndPoint.ToString(), root.GetProperty("server").GetString());
        Assert.Equal(server.Other.ToString(), root.GetProperty("otherAddress").GetString());
        Assert.Equal(root.GetProperty("localEndpoint").GetString(), root.GetProperty("publicEndpoint").GetString());
        Assert.StartsWith("127.0.0.1:", root.GetProperty("localEndpoint").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("hairpinning").ValueKind);
        Assert.False(root.TryGetProperty("tcp", out _));
        Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task RunAsync_TextAgainstLoopbackServer_TableAndVerdict()
    {
        await using var server = LoopbackStunServer.Rfc5780(LoopbackStunMode.Rfc5780);
        int port = NatDiscoveryClientTests.FreeUdpPort();

        var (code, stdout, _) = await RunAsync("-s", server.EndPoint.ToString(), "-u", "-b", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "0.8");

        Assert.Equal(0, code);
        var lines = stdout.TrimEnd('\n').Split('\n');
        Assert.Contains(lines, l => l.Contains("mapping", StringComparison.Ordinal) && l.EndsWith("direct", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("local endpoint", StringComparison.Ordinal) && l.EndsWith(":" + port, StringComparison.Ordinal));
        Assert.StartsWith("Open: ", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_UnsupportedServer_ExitZeroWithUnsupportedVerdict()
    {
        await using var server = LoopbackStunServer.Rfc5780(LoopbackStunMode.RejectsChangeRequest);

        var (code, stdout, _) = await RunAsync("-s", server.EndPoint.ToString(), "-u", "--json", "--timeout", "0.8");

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal("unsupported-server", json.RootElement.GetProperty("filtering").GetString());
    }

    [Fact]
    public async Task RunAsync_NoServerAnswers_ExitOneWithOneStderrLine()
    {
        await using var silent = LoopbackStunServer.Rfc5780(LoopbackStunMode.Silent);

        var (code, stdout, stderr) = await RunAsync("-s", silent.EndPoint.ToString(), "-u", "--json", "--timeout", "0.5");

        Assert.Equal(1, code);
        Assert.Equal("natmap: check: no STUN server answered\n", stderr.ReplaceLineEndings("\n"));
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("publicEndpoint").ValueKind);
    }

    [Theory]
    [InlineData("no -s", new string[0], "-s: a STUN server is required")]
    [InlineData("-4 and -6", new[] { "-s", "127.0.0.1", "-4", "-6" }, "-4 and -6 exclude each other")]
    [InlineData("-u and -o", new[] { "-s", "127.0.0.1", "-u", "-o" }, "-u and -o exclude each other")]
    [InlineData("-u and the hidden -t", new[] { "-s", "127.0.0.1", "-u", "-t" }, "-u and -o exclude each other")]
    [InlineData("bad -b", new[] { "-s", "127.0.0.1", "-b", "70000" }, "-b: port 70000 is out of range: expected 0 to 65535")]
    [InlineData("-b range", new[] { "-s", "127.0.0.1", "-b", "5000-5001" }, "-b: '5000-5001' is not a port number")]
    [InlineData("bad -s port", new[] { "-s", "127.0.0.1:0" }, "-s: '127.0.0.1:0' is not a STUN server")]
    [InlineData("bad -s host", new[] { "-s", "bad host!" }, "-s: 'bad host!' is not a STUN server")]
    [InlineData("octal -s", new[] { "-s", "010.0.0.1" }, "'010.0.0.1' is not an IPv4 address")]
    [InlineData("octal -i", new[] { "-s", "127.0.0.1", "-i", "0177.0.0.1" }, "-i: '0177.0.0.1' is not an IPv4 address")]
    [InlineData("-s family", new[] { "-s", "[::1]:3478" }, "-s: no STUN server can be reached over IPv4: every one given is an address of the other family")]
    [InlineData("-i family", new[] { "-6", "-s", "[::1]", "-i", "127.0.0.1" }, "-i: bind address 127.0.0.1 is not an IPv6 address, but IPv6 is in use")]
    [InlineData("bad timeout", new[] { "-s", "127.0.0.1", "--timeout", "-1" }, "--timeout: '-1' is not a number of seconds")]
    [InlineData("zero timeout, refused by the library", new[] { "-s", "127.0.0.1", "--timeout", "0" }, "--timeout: RequestTimeout must be positive")]
    [InlineData("-h is not help", new[] { "-s", "127.0.0.1", "-h" }, "unknown option '-h'")]
    [InlineData("positional", new[] { "-s", "127.0.0.1", "extra" }, "unexpected argument 'extra': natmap check takes options only")]
    [InlineData("-s without value", new[] { "-s" }, "-s: needs a value: -s <addr[:port]>")]
    public async Task RunAsync_BadCommandLine_ExitTwoWithOneLineAndHint(string because, string[] args, string expected)
    {
        var (code, stdout, stderr) = await RunAsync(args);

        Assert.True(code == 2, because);
        Assert.Equal("", stdout);
        var lines = stderr.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("natmap: check: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.Equal("Try 'natmap check --help'.", lines[1]);
    }

    [Fact]
    public async Task RunAsync_Help_ListsOptionsAndExitsZero()
    {
        var (code, stdout, _) = await RunAsync("--help");

        Assert.Equal(0, code);
        Assert.Contains("--lifetime", stdout, StringComparison.Ordinal);
        Assert.Contains("-b", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("-h,", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("203.0.113.2", "203.0.113.2:3478")]
    [InlineData("203.0.113.2:3479", "203.0.113.2:3479")]
    [InlineData("2001:db8::2", "[2001:db8::2]:3478")]
    [InlineData("[2001:db8::2]:5000", "[2001:db8::2]:5000")]
    [InlineData("[2001:db8::2]", "[2001:db8::2]:3478")]
    public void TryParseServer_Addresses_DefaultPort3478(string text, string expected)
    {
        var servers = new List<StunServerEndPoint>();
        Assert.True(OptionParsers.TryParseServers([text], servers, out var error), error);
        var server = Assert.Single(servers);
        Assert.Equal(IPEndPoint.Parse(expected), new IPEndPoint(IPAddress.Parse(server.Host), server.Port));
    }

    [Theory]
    [InlineData("stun.example.org", "stun.example.org", 3478)]
    [InlineData("stun.example.org:19302", "stun.example.org", 19302)]
    public void TryParseServer_HostNames_KeptForResolution(string text, string host, int port)
    {
        var servers = new List<StunServerEndPoint>();
        Assert.True(OptionParsers.TryParseServers([text], servers, out var error), error);
        var server = Assert.Single(servers);
        Assert.Equal(host, server.Host);
        Assert.Equal(port, server.Port);
    }

    [Fact]
    public void Create_Subcommand_NamedCheckWithoutDashHHelp()
    {
        var command = new CheckOptions().Command;

        Assert.Equal("check", command.Name);
        Assert.DoesNotContain(command.Options, o => o.Name == "-h" || o.Aliases.Contains("-h"));
        Assert.Contains(command.Options, o => o.Name == "-s");
    }
}
