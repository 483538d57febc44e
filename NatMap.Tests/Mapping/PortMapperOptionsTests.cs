using System.Net;
using System.Net.Sockets;
using NatMap.Diagnostics;
using NatMap.Mapping;

namespace NatMap.Tests.Mapping;

public sealed class PortMapperOptionsTests
{
    private static PortMapperOptions Valid() => new()
    {
        StunServers = { "stun.example.test" },
        HttpServer = "203.0.113.1",
    };

    public static TheoryData<string, Action<PortMapperOptions>, string> BadOptions => new()
    {
        { "no STUN server", o => o.StunServers.Clear(), "no STUN server" },
        { "empty STUN server", o => o.StunServers.Add(""), "STUN server '' is invalid" },
        { "STUN port out of range", o => o.StunServers.Add("192.0.2.1:70000"), "STUN server '192.0.2.1:70000' is invalid: expected host[:port]" },
        { "STUN port missing", o => o.StunServers.Add("192.0.2.1:"), "STUN server '192.0.2.1:' is invalid" },
        { "STUN bracket open", o => o.StunServers.Add("[2001:db8::1:3478"), "STUN server '[2001:db8::1:3478' is invalid" },
        { "only IPv6 STUN servers for IPv4", o => { o.StunServers.Clear(); o.StunServers.Add("[2001:db8::1]:3478"); }, "no STUN server can be reached over IPv4" },
        { "IPv4 HTTP server for IPv6", o => { o.AddressFamily = AddressFamily.InterNetworkV6; o.HttpServer = "192.0.2.1"; }, "HTTP server '192.0.2.1' is not an IPv6 address" },
        { "TCP without HTTP server", o => o.HttpServer = null, "no HTTP server" },
        { "bad HTTP server", o => o.HttpServer = "192.0.2.1:http", "HTTP server '192.0.2.1:http' is invalid" },
        { "zero interval", o => o.KeepAliveInterval = TimeSpan.Zero, "keep-alive interval" },
        { "negative interval", o => o.KeepAliveInterval = TimeSpan.FromSeconds(-1), "keep-alive interval" },
        { "check cycle zero", o => o.UdpCheckCycle = 0, "UDP check cycle 0" },
        { "bad family", o => o.AddressFamily = AddressFamily.Unix, "address family Unix is not supported" },
        { "bind address family", o => o.BindAddress = IPAddress.IPv6Loopback, "is not an IPv4 address" },
        { "bind address family v6", o => { o.AddressFamily = AddressFamily.InterNetworkV6; o.BindAddress = IPAddress.Loopback; }, "is not an IPv6 address" },
        { "interface name too long", o => o.BindInterface = "abcdefghijklmnop", "interface name" },
        { "interface name slash", o => o.BindInterface = "eth/0", "interface name" },
        { "congestion control", o => o.CongestionControl = "b b r", "congestion control" },
        { "zero retry delay", o => o.RetryDelay = TimeSpan.Zero, "retry delay" },
        { "cap below delay", o => o.MaxRetryDelay = TimeSpan.FromSeconds(1), "maximum retry delay" },
        { "forward port high", o => o.ForwardPort = 65536, "forward port 65536 is out of range" },
        { "forward port negative", o => o.ForwardPort = -1, "forward port -1 is out of range" },
        { "idle timeout", o => o.ForwardIdleTimeout = TimeSpan.Zero, "forward idle timeout" },
        { "blank forward target", o => o.ForwardTarget = " ", "forward target" },
        { "forward target with port", o => o.ForwardTarget = "192.0.2.1:80", "forward target '192.0.2.1:80' is invalid" },
        { "octal forward target", o => o.ForwardTarget = "010.0.0.1", "forward target '010.0.0.1' is invalid: '010.0.0.1' is not an IPv4 address" },
        { "hex STUN server", o => o.StunServers.Add("0x7f.0.0.1"), "STUN server '0x7f.0.0.1' is invalid" },
        { "octal HTTP server", o => o.HttpServer = "0177.0.0.1:80", "'0177.0.0.1' is not an IPv4 address" },
        { "unknown zone", o => o.StunServers.Add("[fe80::1%25nosuchif0]:3478"), "no network interface has that name" },
        { "unknown protocol", o => o.Protocol = (MappingProtocol)7, "protocol 7 is unknown" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Validate_BadOption_ThrowsInvalidOptionsNamingIt(string name, Action<PortMapperOptions> spoil, string expected)
    {
        var options = Valid();
        spoil(options);

        var ex = Assert.Throws<NatMapException>(options.Validate);

        Assert.Equal(NatMapErrorKind.InvalidOptions, ex.Kind);
        Assert.True(ex.Message.Contains(expected, StringComparison.Ordinal), $"{name}: '{ex.Message}' does not mention '{expected}'");
    }

    [Theory]
    [InlineData("192.0.2.10", 80)]
    [InlineData("2001:db8::10", 0)]
    [InlineData("[2001:db8::10]", 0)]
    [InlineData("fe80::10%lo", 0)]
    [InlineData("backend.example.test", 8080)]
    public void Validate_ForwardTarget_Passes(string target, int port)
    {
        var options = Valid();
        options.ForwardTarget = target;
        options.ForwardPort = port;
        options.Validate();
        Assert.Equal(target, options.ForwardTarget);
    }

    [Theory]
    [InlineData("192.0.2.1")]
    [InlineData("192.0.2.1:3479")]
    [InlineData("stun.example.test:19302")]
    [InlineData("[2001:db8::1]:3478")]
    [InlineData("2001:db8::1")]
    public void Validate_GoodServers_Passes(string server)
    {
        var options = Valid();
        options.StunServers.Add(server);
        options.Validate();
        Assert.Equal(2, options.StunServers.Count);
    }

    [Fact]
    public void Validate_UdpWithoutHttpServer_Passes()
    {
        var options = Valid();
        options.Protocol = MappingProtocol.Udp;
        options.HttpServer = null;
        options.Validate();
        Assert.Equal(PortMapperOptions.DefaultUdpKeepAliveInterval, options.EffectiveKeepAliveInterval);
    }

    [Fact]
    public void EffectiveKeepAliveInterval_Defaults_MatchTheOriginal()
    {
        var options = Valid();
        Assert.Equal(TimeSpan.FromSeconds(30), options.EffectiveKeepAliveInterval);
        options.Protocol = MappingProtocol.Udp;
        Assert.Equal(TimeSpan.FromSeconds(10), options.EffectiveKeepAliveInterval);
        options.KeepAliveInterval = TimeSpan.FromSeconds(3);
        Assert.Equal(TimeSpan.FromSeconds(3), options.EffectiveKeepAliveInterval);
    }

    [Fact]
    public void Create_BadOptions_ThrowsBeforeAnyNetworkUse()
    {
        var options = Valid();
        options.StunServers.Clear();

        var ex = Assert.Throws<NatMapException>(() => PortMapper.Create(options));

        Assert.Equal(NatMapErrorKind.InvalidOptions, ex.Kind);
    }
}
