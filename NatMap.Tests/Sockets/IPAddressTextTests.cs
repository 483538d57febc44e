using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using NatMap.Forwarding.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Tests.Sockets;

public sealed class IPAddressTextTests
{
    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("192.0.2.1")]
    [InlineData("255.255.255.255")]
    [InlineData("2001:db8::1")]
    [InlineData("::")]
    [InlineData("::ffff:192.0.2.1")]
    public void Classify_PlainLiteral_Address(string text)
    {
        Assert.Equal(IPLiteralKind.Address, IPAddressText.Classify(text, out var address, out var reason));
        Assert.Equal(IPAddress.Parse(text), address);
        Assert.Null(reason);
    }

    // inet_aton forms that IPAddress.TryParse accepts and reads as octal, hex or packed numbers.
    [Theory]
    [InlineData("010.0.0.1")]
    [InlineData("0177.0.0.1")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("0X7F.0.0.1")]
    [InlineData("127.1")]
    [InlineData("1")]
    [InlineData("0x7f000001")]
    [InlineData("256.0.0.1")]
    [InlineData("1.2.3.4.")]
    [InlineData("1..2.3")]
    [InlineData("00.0.0.0")]
    public void Classify_NumericButNotDottedDecimal_InvalidWithReason(string text)
    {
        Assert.Equal(IPLiteralKind.Invalid, IPAddressText.Classify(text, out var address, out var reason));
        Assert.Null(address);
        Assert.Contains("is not an IPv4 address", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("eth0")]
    [InlineData("pppoe-wan")]
    [InlineData("stun.example.org")]
    [InlineData("0x7f.example")]
    [InlineData("br-lan.10")]
    [InlineData("")]
    public void Classify_Name_NotALiteral(string text)
    {
        Assert.Equal(IPLiteralKind.NotALiteral, IPAddressText.Classify(text, out var address, out var reason));
        Assert.Null(address);
        Assert.Null(reason);
    }

    [Theory]
    [InlineData("1:2:3")]
    [InlineData("[::1]:80")]
    [InlineData("::1/64")]
    [InlineData("2001:db8::g")]
    [InlineData("fe80::1%")]
    [InlineData("fe80::1%nosuchif0")]
    [InlineData("fe80::1%a/b")]
    public void Classify_BadIPv6_Invalid(string text)
    {
        Assert.Equal(IPLiteralKind.Invalid, IPAddressText.Classify(text, out var address, out var reason));
        Assert.Null(address);
        Assert.NotNull(reason);
    }

    [Fact]
    public void Classify_Zone_KeptAsScope()
    {
        Assert.True(IPAddressText.TryParse("fe80::1%lo", out var named));
        Assert.Equal(NetworkInterface.LoopbackInterfaceIndex, named.ScopeId);
        Assert.True(IPAddressText.TryParse("fe80::1%3", out var numbered));
        Assert.Equal(3, numbered.ScopeId);
        Assert.Equal(AddressFamily.InterNetworkV6, numbered.AddressFamily);
    }

    [Theory]
    [InlineData("fe80::1%25eth0", "fe80::1%eth0")]
    [InlineData("fe80::1%2525", "fe80::1%25")]
    [InlineData("fe80::1%25", "fe80::1%25")]
    [InlineData("fe80::1%eth0", "fe80::1%eth0")]
    [InlineData("2001:db8::1", "2001:db8::1")]
    public void UnescapeZone_Rfc6874(string bracketed, string expected) =>
        Assert.Equal(expected, IPAddressText.UnescapeZone(bracketed));

    [Theory]
    [InlineData("010.0.0.1")]
    [InlineData("0x7f.0.0.1")]
    public void TargetResolver_OctalOrHex_IsNoLiteral(string host) =>
        Assert.Null(new TargetResolver(host, 80, AddressFamily.InterNetwork).Literal);

    [Fact]
    public void TargetResolver_BracketedZone_KeepsScope()
    {
        var literal = new TargetResolver("[fe80::1%25lo]", 80, AddressFamily.InterNetworkV6).Literal;
        Assert.NotNull(literal);
        Assert.Equal(NetworkInterface.LoopbackInterfaceIndex, literal.Address.ScopeId);
    }
}
