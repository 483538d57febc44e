using System.Net;
using NatMap.Mapping;
using NatMap.Notify;

namespace NatMap.Tests.Notify;

public sealed class MappingTextTests
{
    [Fact]
    public void FormatLine_Ipv4Tcp_MatchesOriginalLine()
    {
        var mapping = new MappingChanged(MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555"));
        Assert.Equal("203.0.113.1 45555 2001::b1f3:cb00:7101 5555 tcp 192.0.2.2", MappingText.FormatLine(mapping));
    }

    [Fact]
    public void FormatLine_Ipv4Udp_KeepsLeadingZeroGroups()
    {
        var mapping = new MappingChanged(MappingProtocol.Udp, IPEndPoint.Parse("1.2.3.4:80"), IPEndPoint.Parse("0.0.0.0:5556"));
        Assert.Equal("1.2.3.4 80 2001::0050:0102:0304 5556 udp 0.0.0.0", MappingText.FormatLine(mapping));
    }

    [Fact]
    public void FormatLine_Ipv6_LeavesIp4pFieldEmptyAsOriginal()
    {
        var mapping = new MappingChanged(MappingProtocol.Udp, IPEndPoint.Parse("[2001:db8::1]:45555"), IPEndPoint.Parse("[2001:db8:1::2]:5555"));
        Assert.Equal("2001:db8::1 45555  5555 udp 2001:db8:1::2", MappingText.FormatLine(mapping));
    }

    [Fact]
    public void ToArguments_Ipv6_HasSixWithEmptyThird()
    {
        var mapping = new MappingChanged(MappingProtocol.Tcp, IPEndPoint.Parse("[2001:db8::1]:40000"), IPEndPoint.Parse("[::]:5555"));
        Assert.Equal(["2001:db8::1", "40000", "", "5555", "tcp", "::"], MappingText.ToArguments(mapping));
    }

    [Fact]
    public void ToArguments_Ipv4MappedAddresses_PrintAsIpv4()
    {
        var mapping = new MappingChanged(
            MappingProtocol.Tcp,
            new IPEndPoint(IPAddress.Parse("203.0.113.1").MapToIPv6(), 45555),
            new IPEndPoint(IPAddress.Parse("192.0.2.2").MapToIPv6(), 5555));
        Assert.Equal(["203.0.113.1", "45555", "2001::b1f3:cb00:7101", "5555", "tcp", "192.0.2.2"], MappingText.ToArguments(mapping));
    }
}
