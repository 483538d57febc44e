using System.Net;
using System.Net.Sockets;
using NatMap.Mapping;
using NatMap.Stun;

namespace NatMap.Tests.Mapping;

public sealed class PortMapperOptionsTests
{
    private static PortMapperOptions Valid() => new()
    {
        StunServers = { StunServerEndPoint.Parse("stun.example.test") },
        HttpServer = "203.0.113.1",
    };

    public static TheoryData<string, Action<PortMapperOptions>, string, string> BadOptions => new()
    {
        { "no STUN server", o => o.StunServers.Clear(), nameof(PortMapperOptions.StunServers), "no STUN server" },
        { "only IPv6 STUN servers for IPv4", o => { o.StunServers.Clear(); o.StunServers.Add(StunServerEndPoint.Parse("[2001:db8::1]:3478")); }, nameof(PortMapperOptions.StunServers), "no STUN server can be reached over IPv4" },
        { "IPv4 HTTP server for IPv6", o => { o.AddressFamily = AddressFamily.InterNetworkV6; o.HttpServer = "192.0.2.1"; }, nameof(PortMapperOptions.HttpServer), "HTTP server '192.0.2.1' is not an IPv6 address" },
        { "TCP without HTTP server", o => o.HttpServer = null, nameof(PortMapperOptions.HttpServer), "no HTTP server" },
        { "bad HTTP server", o => o.HttpServer = "192.0.2.1:http", nameof(PortMapperOptions.HttpServer), "HTTP server '192.0.2.1:http' is invalid" },
        { "zero interval", o => o.KeepAliveInterval = TimeSpan.Zero, nameof(PortMapperOptions.KeepAliveInterval), "keep-alive interval" },
        { "negative interval", o => o.KeepAliveInterval = TimeSpan.FromSeconds(-1), nameof(PortMapperOptions.KeepAliveInterval), "keep-alive interval" },
        { "check cycle zero", o => o.UdpCheckCycle = 0, nameof(PortMapperOptions.UdpCheckCycle), "UDP check cycle 0" },
        { "masquerade with the relay", o => o.ForwardMasquerade = true, nameof(PortMapperOptions.ForwardMasquerade), "masquerade applies to kernel forwarding only" },
        { "unknown forward method", o => o.ForwardMethod = (NatMap.Forwarding.ForwardMethod)7, nameof(PortMapperOptions.ForwardMethod), "forward method 7 is unknown" },
        { "bad family", o => o.AddressFamily = AddressFamily.Unix, nameof(PortMapperOptions.AddressFamily), "address family Unix is not supported" },
        { "bind address family", o => o.BindAddress = IPAddress.IPv6Loopback, nameof(PortMapperOptions.BindAddress), "is not an IPv4 address" },
        { "bind address family v6", o => { o.AddressFamily = AddressFamily.InterNetworkV6; o.BindAddress = IPAddress.Loopback; }, nameof(PortMapperOptions.BindAddress), "is not an IPv6 address" },
        { "interface name too long", o => o.BindInterface = "abcdefghijklmnop", nameof(PortMapperOptions.BindInterface), "interface name" },
        { "interface name slash", o => o.BindInterface = "eth/0", nameof(PortMapperOptions.BindInterface), "interface name" },
        { "congestion control", o => o.CongestionControl = "b b r", nameof(PortMapperOptions.CongestionControl), "congestion control" },
        { "zero retry delay", o => o.RetryDelay = TimeSpan.Zero, nameof(PortMapperOptions.RetryDelay), "retry delay" },
        { "cap below delay", o => o.MaxRetryDelay = TimeSpan.FromSeconds(1), nameof(PortMapperOptions.MaxRetryDelay), "maximum retry delay" },
        { "forward port high", o => o.TargetPort = 65536, nameof(PortMapperOptions.TargetPort), "target port 65536 is out of range" },
        { "forward port negative", o => o.TargetPort = -1, nameof(PortMapperOptions.TargetPort), "target port -1 is out of range" },
        { "idle timeout", o => o.IdleTimeout = TimeSpan.Zero, nameof(PortMapperOptions.IdleTimeout), "idle timeout" },
        { "blank forward target", o => o.TargetHost = " ", nameof(PortMapperOptions.TargetHost), "target host" },
        { "forward target with port", o => o.TargetHost = "192.0.2.1:80", nameof(PortMapperOptions.TargetHost), "target host '192.0.2.1:80' is invalid" },
        { "octal forward target", o => o.TargetHost = "010.0.0.1", nameof(PortMapperOptions.TargetHost), "target host '010.0.0.1' is invalid: '010.0.0.1' is not an IPv4 address" },
        { "octal HTTP server", o => o.HttpServer = "0177.0.0.1:80", nameof(PortMapperOptions.HttpServer), "'0177.0.0.1' is not an IPv4 address" },
        { "unknown protocol", o => o.Protocol = (MappingProtocol)7, nameof(PortMapperOptions.Protocol), "protocol 7 is unknown" },
        { "null STUN server", o => o.StunServers.Add(null!), nameof(PortMapperOptions.StunServers), "null entry" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Validate_BadOption_ThrowsArgumentExceptionNamingIt(string name, Action<PortMapperOptions> spoil, string option, string expected)
    {
        var options = Valid();
        spoil(options);

        var ex = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal(option, ex.ParamName);
        Assert.True(ex.Message.Contains(expected, StringComparison.Ordinal), $"{name}: '{ex.Message}' does not mention '{expected}'");
    }

    [Theory]
    [InlineData("", "'' is not a STUN server")]
    [InlineData("192.0.2.1:70000", "'192.0.2.1:70000' is not a STUN server")]
    [InlineData("192.0.2.1:", "'192.0.2.1:' is not a STUN server")]
    [InlineData("[2001:db8::1:3478", "'[2001:db8::1:3478' is not a STUN server")]
    [InlineData("0x7f.0.0.1", "'0x7f.0.0.1' is not a STUN server")]
    [InlineData("[fe80::1%25nosuchif0]:3478", "no network interface has that name")]
    public void StunServerEndPointParse_BadText_ThrowsFormatExceptionSayingWhy(string text, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => StunServerEndPoint.Parse(text));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
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
        options.TargetHost = target;
        options.TargetPort = port;
        options.Validate();
        Assert.Equal(target, options.TargetHost);
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
        options.StunServers.Add(StunServerEndPoint.Parse(server));
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

        var ex = Assert.Throws<ArgumentException>(() => PortMapper.Create(options));

        Assert.Equal(nameof(PortMapperOptions.StunServers), ex.ParamName);
    }

    [Theory]
    [InlineData(null, null, 5.0)]
    [InlineData(30.0, null, 5.0)]
    [InlineData(1.0, null, 1.0)]
    [InlineData(1.0, 3.0, 3.0)]
    [InlineData(30.0, 2.0, 2.0)]
    public void RetryDelay_NotSet_FollowsAShorterKeepAlive(double? keepAlive, double? retry, double expected)
    {
        var options = new PortMapperOptions { KeepAliveInterval = keepAlive is { } k ? TimeSpan.FromSeconds(k) : null };
        if (retry is { } r)
        {
            options.RetryDelay = TimeSpan.FromSeconds(r);
        }

        Assert.Equal(TimeSpan.FromSeconds(expected), options.RetryDelay);
    }
}
