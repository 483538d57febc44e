using System.Net;
using CsCheck;
using NatMap.Ip4p;

namespace NatMap.Tests.Ip4p;

public sealed class Ip4pCodecTests
{
    [Fact]
    public void Encode_TestbedEndpoint_MatchesOriginalOutput()
    {
        var address = Ip4pCodec.Encode(new IPEndPoint(IPAddress.Parse("203.0.113.1"), 45555));
        Assert.Equal("2001::b1f3:cb00:7101", address.ToString());
    }

    [Theory]
    [InlineData("1.2.3.4", 80, "2001::0050:0102:0304")]
    [InlineData("203.0.113.1", 45555, "2001::b1f3:cb00:7101")]
    [InlineData("0.0.0.0", 0, "2001::0000:0000:0000")]
    [InlineData("255.255.255.255", 65535, "2001::ffff:ffff:ffff")]
    public void Format_Endpoint_FourHexDigitsPerGroup(string ip, int port, string expected)
    {
        Assert.Equal(expected, Ip4pCodec.Format(new IPEndPoint(IPAddress.Parse(ip), port)));
    }

    [Fact]
    public void Format_ParsesAsTheEncodedAddress()
    {
        var ep = new IPEndPoint(IPAddress.Parse("1.2.3.4"), 80);
        Assert.Equal(Ip4pCodec.Encode(ep), IPAddress.Parse(Ip4pCodec.Format(ep)));
    }

    [Fact]
    public void Encode_MappedIPv4_TreatedAsIPv4()
    {
        var mapped = IPAddress.Parse("198.51.100.7").MapToIPv6();
        Assert.Equal("2001::1f90:c633:6407", Ip4pCodec.Encode(new IPEndPoint(mapped, 8080)).ToString());
    }

    [Fact]
    public void Encode_IPv6Endpoint_Throws()
    {
        Assert.Throws<ArgumentException>(() => Ip4pCodec.Encode(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 1)));
        Assert.Throws<ArgumentException>(() => Ip4pCodec.Format(new IPEndPoint(IPAddress.IPv6Loopback, 1)));
    }

    [Fact]
    public void RoundTrip_AnyIPv4Endpoint_DecodesToTheSame()
    {
        Gen.Select(Gen.UInt, Gen.Int[0, 65535]).Sample((ip, port) =>
        {
            var ep = new IPEndPoint(new IPAddress(BitConverter.GetBytes(ip)), port);
            Assert.True(Ip4pCodec.TryDecode(Ip4pCodec.Encode(ep), out var back));
            Assert.Equal(ep, back);
            Assert.True(Ip4pCodec.TryDecode(IPAddress.Parse(Ip4pCodec.Format(ep)), out back));
            Assert.Equal(ep, back);
        });
    }

    [Theory]
    [InlineData("2001:db8::b1f3:cb00:7101")]
    [InlineData("2002::b1f3:cb00:7101")]
    [InlineData("2001:0:0:0:1:b1f3:cb00:7101")]
    [InlineData("::ffff:203.0.113.1")]
    [InlineData("203.0.113.1")]
    [InlineData("fe80::1%2")]
    public void TryDecode_NotIp4p_ReturnsFalse(string text)
    {
        Assert.False(Ip4pCodec.TryDecode(IPAddress.Parse(text), out var ep));
        Assert.Null(ep);
    }

    [Fact]
    public void TryDecode_Ip4p_ReturnsEndpoint()
    {
        Assert.True(Ip4pCodec.TryDecode(IPAddress.Parse("2001::b1f3:cb00:7101"), out var ep));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("203.0.113.1"), 45555), ep);
    }
}
