using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Cli;
using NatMap.Mapping;

namespace NatMap.Tests.Cli;

public sealed class CliParsingTests
{
    [Fact]
    public void Parse_MinimalTcp_GivesOriginalDefaults()
    {
        var (options, mapper) = Parse("-s", "203.0.113.2", "-h", "203.0.113.2");

        Assert.Equal(MappingProtocol.Tcp, mapper.Protocol);
        Assert.Equal(AddressFamily.InterNetwork, mapper.AddressFamily);
        Assert.Equal(PortSpec.Any, mapper.Port);
        Assert.Null(mapper.KeepAliveInterval);
        Assert.Equal(10, mapper.UdpCheckCycle);
        Assert.Equal(["203.0.113.2:3478"], mapper.StunServers.Select(s => s.ToString()));
        Assert.Equal("203.0.113.2", mapper.HttpServer);
        Assert.Null(mapper.BindAddress);
        Assert.Null(mapper.BindInterface);
        Assert.Null(mapper.FirewallMark);
        Assert.Null(mapper.TargetHost);
        Assert.Equal(TimeSpan.FromSeconds(300), mapper.IdleTimeout);
        Assert.False(options.Detach);
        Assert.False(options.Json);
        Assert.Null(options.Script);
        Assert.Equal(LogLevel.Information, options.LogLevel);
    }

    [Fact]
    public void Parse_ForwardMethod_DefaultRelayAndNftablesWithMasquerade()
    {
        var (_, relay) = Parse("-u", "-s", "203.0.113.2", "-t", "198.51.100.10", "-p", "0");
        var (_, kernel) = Parse("-u", "-s", "203.0.113.2", "-t", "198.51.100.10", "-p", "0", "--forward-method", "nftables", "--forward-masquerade");

        Assert.Equal(NatMap.Forwarding.ForwardMethod.Relay, relay.ForwardMethod);
        Assert.False(relay.ForwardMasquerade);
        Assert.Equal(NatMap.Forwarding.ForwardMethod.Nftables, kernel.ForwardMethod);
        Assert.True(kernel.ForwardMasquerade);
    }

    [Theory]
    [InlineData(new[] { "-4" }, AddressFamily.InterNetwork)]
    [InlineData(new[] { "-6" }, AddressFamily.InterNetworkV6)]
    public void Parse_FamilyFlag_SetsAddressFamily(string[] flag, AddressFamily expected)
    {
        var (_, mapper) = Parse([.. flag, "-u", "-s", "stun.example"]);
        Assert.Equal(expected, mapper.AddressFamily);
    }

    [Fact]
    public void Parse_UdpFlag_NeedsNoHttpServer()
    {
        var (_, mapper) = Parse("-u", "-s", "203.0.113.2");
        Assert.Equal(MappingProtocol.Udp, mapper.Protocol);
        Assert.Null(mapper.HttpServer);
    }

    [Fact]
    public void Parse_BundledShortFlags_AreSplitLikeGetopt()
    {
        var (options, mapper) = Parse("-6ud", "-s", "[2001:db8::2]:3478");
        Assert.Equal(AddressFamily.InterNetworkV6, mapper.AddressFamily);
        Assert.Equal(MappingProtocol.Udp, mapper.Protocol);
        Assert.True(options.Detach);
    }

    [Fact]
    public void Parse_ValueAttachedToShortOption_IsAccepted()
    {
        var (_, mapper) = Parse("-u", "-s203.0.113.2:3479", "-b5555-5560");
        Assert.Equal(["203.0.113.2:3479"], mapper.StunServers.Select(s => s.ToString()));
        Assert.Equal(PortSpec.Range(5555, 5560, random: false), mapper.Port);
    }

    [Fact]
    public void Parse_RepeatedStunOption_KeepsAllInOrder()
    {
        var (_, mapper) = Parse("-u", "-s", "203.0.113.2", "-s", "203.0.113.3:3479", "-s", "[2001:db8::1]:3478", "-s", "2001:db8::2");
        Assert.Equal(["203.0.113.2:3478", "203.0.113.3:3479", "[2001:db8::1]:3478", "[2001:db8::2]:3478"], mapper.StunServers.Select(s => s.ToString()));
    }

    [Fact]
    public void Parse_InterfaceName_SetsBindInterface()
    {
        var (_, mapper) = Parse("-u", "-s", "a", "-i", "eth0");
        Assert.Equal("eth0", mapper.BindInterface);
        Assert.Null(mapper.BindAddress);
    }

    [Fact]
    public void Parse_InterfaceAddressWithZone_KeepsScope()
    {
        var (_, mapper) = Parse("-6", "-u", "-s", "a", "-i", "fe80::1%lo");
        Assert.Equal(IPAddress.Parse("fe80::1"), new IPAddress(mapper.BindAddress!.GetAddressBytes()));
        Assert.Equal(System.Net.NetworkInformation.NetworkInterface.LoopbackInterfaceIndex, mapper.BindAddress.ScopeId);
        Assert.Null(mapper.BindInterface);
    }

    [Theory]
    [InlineData("@hook.sh")]
    [InlineData("@/dev/zero")]
    public void Parse_ArgumentStartingWithAt_IsAValueNotAResponseFile(string script)
    {
        var (options, _) = Parse("-u", "-s", "a", "-e", script);
        Assert.Equal(script, options.Script);
    }

    [Theory]
    [InlineData("-4", "192.0.2.2")]
    [InlineData("-6", "2001:db8::2")]
    public void Parse_InterfaceAddress_SetsBindAddress(string family, string address)
    {
        var (_, mapper) = Parse(family, "-u", "-s", "a", "-i", address);
        Assert.Equal(IPAddress.Parse(address), mapper.BindAddress);
        Assert.Null(mapper.BindInterface);
    }

    [Theory]
    [InlineData("15", 15)]
    [InlineData("1", 1)]
    public void Parse_KeepAlive_SetsInterval(string text, int seconds)
    {
        var (_, mapper) = Parse("-u", "-s", "a", "-k", text);
        Assert.Equal(TimeSpan.FromSeconds(seconds), mapper.KeepAliveInterval);
    }

    [Fact]
    public void Parse_KeepAliveZero_KeepsDefaultAsOriginal()
    {
        var (_, mapper) = Parse("-u", "-s", "a", "-k", "0");
        Assert.Null(mapper.KeepAliveInterval);
    }

    [Fact]
    public void Parse_CheckCycle_SetsCycle()
    {
        Assert.Equal(4, Parse("-u", "-s", "a", "-c", "4").Mapper.UdpCheckCycle);
        Assert.Equal(10, Parse("-u", "-s", "a").Mapper.UdpCheckCycle);
    }

    [Fact]
    public void Parse_KeepAliveBelowRetryDelay_ShortensRetryDelay()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), Parse("-u", "-s", "a", "-k", "2").Mapper.RetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), Parse("-u", "-s", "a", "-k", "30").Mapper.RetryDelay);
    }

    [Fact]
    public void Parse_HttpServerWithPort_IsPassedThrough()
    {
        Assert.Equal("example.org:8080", Parse("-s", "a", "-h", "example.org:8080").Mapper.HttpServer);
    }

    [Fact]
    public void Parse_Script_IsKept()
    {
        Assert.Equal("/usr/local/bin/on-map", Parse("-u", "-s", "a", "-e", "/usr/local/bin/on-map").Options.Script);
    }

    [Theory]
    [InlineData("0x1f", 31u)]
    [InlineData("0X1F", 31u)]
    [InlineData("31", 31u)]
    [InlineData("037", 31u)]
    [InlineData("0", 0u)]
    [InlineData("0xffffffff", uint.MaxValue)]
    [InlineData("037777777777", uint.MaxValue)]
    public void Parse_Mark_ReadsHexDecimalAndOctal(string text, uint expected)
    {
        Assert.Equal(expected, Parse("-u", "-s", "a", "-f", text).Mapper.FirewallMark);
    }

    [Theory]
    [InlineData("0", PortSpecKind.Any, 0, 0)]
    [InlineData("5555", PortSpecKind.Fixed, 5555, 5555)]
    [InlineData("5555-5560", PortSpecKind.Sequential, 5555, 5560)]
    [InlineData("5555~5560", PortSpecKind.Random, 5555, 5560)]
    public void Parse_BindPort_UsesPortSpec(string text, PortSpecKind kind, int first, int last)
    {
        var port = Parse("-u", "-s", "a", "-b", text).Mapper.Port;
        Assert.Equal((kind, first, last), (port.Kind, port.First, port.Last));
    }

    [Fact]
    public void Parse_ForwardOptions_AreMapped()
    {
        var (options, mapper) = Parse("-s", "a", "-h", "b", "-C", "bbr", "-T", "60", "-t", "192.0.2.9", "-p", "0");
        Assert.Equal("bbr", mapper.CongestionControl);
        Assert.Equal(TimeSpan.FromSeconds(60), mapper.IdleTimeout);
        Assert.Equal("192.0.2.9", mapper.TargetHost);
        Assert.Equal(0, mapper.TargetPort);
        Assert.False(options.Json);
        Assert.Equal(8080, Parse("-s", "a", "-h", "b", "-t", "x", "-p", "8080").Mapper.TargetPort);
    }

    [Fact]
    public void Parse_ReuseWait_IsAcceptedForCompatibility()
    {
        Assert.Equal(3, Parse("-u", "-s", "a", "-w", "3").Options.PortReuseWait);
    }

    [Fact]
    public void Parse_JsonAndVerbose_AreOurExtras()
    {
        var (options, _) = Parse("-u", "-s", "a", "--json", "-v");
        Assert.True(options.Json);
        Assert.Equal(LogLevel.Debug, options.LogLevel);
        Assert.Equal(LogLevel.Debug, Parse("-u", "-s", "a", "--verbose").Options.LogLevel);
    }

    [Fact]
    public void Parse_DashH_IsTheHttpServerNotHelp()
    {
        var (_, mapper) = Parse("-s", "a", "-h", "203.0.113.2");
        Assert.Equal("203.0.113.2", mapper.HttpServer);
    }

    [Fact]
    public void Parse_SubcommandAddedToRoot_GetsItsOwnOptionsAndHelp()
    {
        // What the `check` subcommand will do with one line in NatMapCommand's constructor.
        var command = new NatMapCommand();
        var sub = new NatMap.CommandLine.Command("probe");
        var server = new NatMap.CommandLine.Option<string>("-s");
        sub.Options.Add(server);
        command.Root.Add(sub);

        var run = command.Root.Parse(["probe", "-s", "203.0.113.2"]);
        Assert.Null(run.Error);
        Assert.Same(sub, run.Command);
        Assert.Equal("203.0.113.2", run.GetValue(server));
        Assert.True(run.RunsAction);

        var help = command.Root.Parse(["probe", "--help"]);
        Assert.Null(help.Error);
        Assert.Same(sub, help.Command);
        Assert.True(help.HelpRequested);
    }

    [Theory]
    [InlineData(new string[0], NatMap.Gateway.GatewayProtocol.None)]
    [InlineData(new[] { "--upnp" }, NatMap.Gateway.GatewayProtocol.Auto)]
    [InlineData(new[] { "--upnp=auto" }, NatMap.Gateway.GatewayProtocol.Auto)]
    [InlineData(new[] { "--upnp=pcp" }, NatMap.Gateway.GatewayProtocol.Pcp)]
    [InlineData(new[] { "--upnp=nat-pmp" }, NatMap.Gateway.GatewayProtocol.NatPmp)]
    [InlineData(new[] { "--upnp=upnp" }, NatMap.Gateway.GatewayProtocol.Upnp)]
    public void Parse_Upnp_SetsGatewayProtocol(string[] flag, NatMap.Gateway.GatewayProtocol expected)
    {
        var (_, mapper) = Parse([.. flag, "-u", "-s", "203.0.113.2"]);

        Assert.Equal(expected, mapper.Gateway);
        Assert.Null(mapper.GatewayAddress);
        Assert.Equal(TimeSpan.FromHours(1), mapper.GatewayLease);
    }

    [Fact]
    public void Parse_GatewayAndLease_Set()
    {
        var (_, mapper) = Parse("-u", "-s", "203.0.113.2", "--upnp", "--gateway", "198.51.100.1", "--upnp-lease", "600");

        Assert.Equal(IPAddress.Parse("198.51.100.1"), mapper.GatewayAddress);
        Assert.Equal(TimeSpan.FromSeconds(600), mapper.GatewayLease);
    }

    private static (CliOptions Options, PortMapperOptions Mapper) Parse(params string[] args)
    {
        var command = new NatMapCommand();
        var result = command.Parse(args);
        Assert.Null(result.Error);
        var mapper = new PortMapperOptions();
        var error = command.Bind(result, mapper, out var options);
        Assert.True(error is null, error);
        mapper.Validate();
        return (options, mapper);
    }
}
