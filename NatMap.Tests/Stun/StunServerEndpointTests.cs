using System.Net;
using System.Net.NetworkInformation;
using NatMap.Stun;

namespace NatMap.Tests.Stun;

public sealed class StunServerEndPointTests
{
    [Theory]
    [InlineData("stun.example.org", "stun.example.org", 3478, "stun.example.org:3478")]
    [InlineData("stun.example.org:19302", "stun.example.org", 19302, "stun.example.org:19302")]
    [InlineData("localhost", "localhost", 3478, "localhost:3478")]
    [InlineData("203.0.113.2", "203.0.113.2", 3478, "203.0.113.2:3478")]
    [InlineData("203.0.113.2:3479", "203.0.113.2", 3479, "203.0.113.2:3479")]
    [InlineData("[2001:db8::2]:3478", "2001:db8::2", 3478, "[2001:db8::2]:3478")]
    [InlineData("[2001:db8::2]:1", "2001:db8::2", 1, "[2001:db8::2]:1")]
    [InlineData("[::1]", "::1", 3478, "[::1]:3478")]
    [InlineData("2001:db8::2", "2001:db8::2", 3478, "[2001:db8::2]:3478")]
    [InlineData("::1", "::1", 3478, "[::1]:3478")]
    [InlineData("stun-1.example:65535", "stun-1.example", 65535, "stun-1.example:65535")]
    public void Parse_Valid_HostPortAndText(string text, string host, int port, string formatted)
    {
        var server = StunServerEndPoint.Parse(text);
        Assert.Equal(host, server.Host);
        Assert.Equal(port, server.Port);
        Assert.Equal(formatted, server.ToString());

        var again = StunServerEndPoint.Parse(server.ToString());
        Assert.Equal(server.Host, again.Host);
        Assert.Equal(server.Port, again.Port);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(" stun.example.org")]
    [InlineData("stun.example.org ")]
    [InlineData("stun.example.org:")]
    [InlineData("stun.example.org:0")]
    [InlineData("stun.example.org:65536")]
    [InlineData("stun.example.org:-1")]
    [InlineData("stun.example.org:+1")]
    [InlineData("stun.example.org:abc")]
    [InlineData("stun.example.org:3478:1")]
    [InlineData(":3478")]
    [InlineData("[::1")]
    [InlineData("[::1]:")]
    [InlineData("[::1]3478")]
    [InlineData("[::1]:x")]
    [InlineData("[::1]]:3478")]
    [InlineData("[203.0.113.2]:3478")]
    [InlineData("[stun.example.org]:3478")]
    [InlineData("[]:3478")]
    [InlineData("2001:db8::g")]
    [InlineData("stun example.org")]
    [InlineData("stun_example/org")]
    [InlineData("300.1.1.1")]
    [InlineData("1.2.3")]
    [InlineData("1")]
    public void TryParse_Invalid_False(string? text)
    {
        Assert.False(StunServerEndPoint.TryParse(text, out var server));
        Assert.Null(server);
        if (text is not null)
        {
            Assert.Throws<FormatException>(() => StunServerEndPoint.Parse(text));
        }
    }

    [Fact]
    public void Constructor_BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StunServerEndPoint("stun.example.org", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StunServerEndPoint("stun.example.org", 65536));
        Assert.Throws<ArgumentException>(() => new StunServerEndPoint(""));
        Assert.Throws<ArgumentException>(() => new StunServerEndPoint("[::1]"));
        Assert.Throws<ArgumentException>(() => new StunServerEndPoint("a b"));
        Assert.Equal("[2001:db8::1]:3478", new StunServerEndPoint("2001:db8::1").ToString());
        Assert.Equal(3478, StunServerEndPoint.DefaultPort);
    }

    // Issue 13: IPAddress.TryParse reads inet_aton forms, so these once became 8.0.0.1 and 127.0.0.1
    // while Host kept the text. They cannot be host names either (all-numeric labels).
    [Theory]
    [InlineData("010.0.0.1")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("0177.0.0.1:80")]
    [InlineData("127.1")]
    [InlineData("0x7f000001")]
    [InlineData("2130706433")]
    [InlineData("127.0.0.01")]
    [InlineData("1.2.3.4.")]
    [InlineData("1.2.3.4.5")]
    [InlineData("0x")]
    [InlineData("::ffff:010.0.0.1")]
    public void TryParse_OctalHexOrShortIPv4_Refused(string text)
    {
        Assert.False(StunServerEndPoint.TryParse(text, out var server));
        Assert.Null(server);
        var ex = Assert.Throws<FormatException>(() => StunServerEndPoint.Parse(text));
        Assert.Contains("not an IP", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("10.0.0.1", "10.0.0.1")]
    [InlineData("255.255.255.255:1", "255.255.255.255")]
    [InlineData("::ffff:192.0.2.1", "::ffff:192.0.2.1")]
    public void TryParse_DottedDecimal_IsAnAddress(string text, string address)
    {
        Assert.True(StunServerEndPoint.TryParse(text, out var server));
        Assert.Equal(IPAddress.Parse(address), server.Address);
    }

    [Theory]
    [InlineData("0x7f.example")]
    [InlineData("123.example.org")]
    [InlineData("1e100.net")]
    public void TryParse_NameWithNumericLabels_IsAName(string text)
    {
        Assert.True(StunServerEndPoint.TryParse(text, out var server));
        Assert.Equal(text, server.Host);
        Assert.Null(server.Address);
    }

    // Issue 13: the zone was dropped without a word ("[fe80::1%25eth0]:1" became fe80::1).
    [Theory]
    [InlineData("[fe80::1%25lo]:1", 1)]
    [InlineData("[fe80::1%lo]:1", 1)]
    [InlineData("fe80::1%lo", 3478)]
    public void TryParse_IPv6ZoneName_KeepsScope(string text, int port)
    {
        Assert.True(StunServerEndPoint.TryParse(text, out var server));
        Assert.Equal("fe80::1%lo", server.Host);
        Assert.Equal(port, server.Port);
        Assert.Equal(NetworkInterface.LoopbackInterfaceIndex, server.Address!.ScopeId);
        Assert.Equal("[fe80::1%25lo]:" + port, server.ToString());

        var again = StunServerEndPoint.Parse(server.ToString());
        Assert.Equal(server.Host, again.Host);
        Assert.Equal(server.Address, again.Address);
    }

    [Fact]
    public void TryParse_NumericZone_IsTheIndex()
    {
        Assert.True(StunServerEndPoint.TryParse("[fe80::1%7]:9", out var server));
        Assert.Equal(7, server.Address!.ScopeId);
        Assert.Equal(server.Address, StunServerEndPoint.Parse(server.ToString()).Address);
    }

    [Theory]
    [InlineData("fe80::1%nosuchif0", "no network interface has that name")]
    [InlineData("[fe80::1%25nosuchif0]:1", "no network interface has that name")]
    [InlineData("fe80::1%", "empty zone")]
    [InlineData("[fe80::1%]:1", "empty zone")]
    [InlineData("fe80::1%lo%lo", "no network interface")]
    [InlineData("fe80::1%99999999999", "no network interface")]
    public void TryParse_BadZone_RefusedWithReason(string text, string reason)
    {
        Assert.False(StunServerEndPoint.TryParse(text, out _));
        var ex = Assert.Throws<FormatException>(() => StunServerEndPoint.Parse(text));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_ZoneAndOctal_AsTryParse()
    {
        Assert.Equal(NetworkInterface.LoopbackInterfaceIndex, new StunServerEndPoint("fe80::1%lo").Address!.ScopeId);
        Assert.Throws<ArgumentException>(() => new StunServerEndPoint("010.0.0.1"));
        Assert.Throws<ArgumentException>(() => new StunServerEndPoint("fe80::1%nosuchif0"));
    }
}
