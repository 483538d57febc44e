using System.Net;
using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

public sealed class OtherAddressAttributeTests
{
    [Fact]
    public void OtherAddressFamily_WriteThenRead_Independent()
    {
        var bytes = StunMessageTests.Build((ref w) =>
        {
            Assert.True(ResponseOriginAttribute.Write(ref w, StunAddress.FromIPEndPoint(IPEndPoint.Parse("203.0.113.2:3478"))));
            Assert.True(OtherAddressAttribute.Write(ref w, StunAddress.FromIPEndPoint(IPEndPoint.Parse("203.0.113.3:3479"))));
            Assert.True(ChangedAddressAttribute.Write(ref w, StunAddress.FromIPEndPoint(IPEndPoint.Parse("[2001:db8::3]:3479"))));
            Assert.True(MappedAddressAttribute.Write(ref w, StunAttributeType.MappedAddress, StunAddress.FromIPEndPoint(IPEndPoint.Parse("192.0.2.9:9"))));
        });
        Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out var message));
        Assert.True(ResponseOriginAttribute.TryRead(message, out var origin));
        Assert.True(OtherAddressAttribute.TryRead(message, out var other));
        Assert.True(ChangedAddressAttribute.TryRead(message, out var changed));
        Assert.True(MappedAddressAttribute.TryRead(message, out var mapped));
        Assert.Equal("203.0.113.2:3478", origin.ToString());
        Assert.Equal("203.0.113.3:3479", other.ToString());
        Assert.Equal("[2001:db8::3]:3479", changed.ToString());
        Assert.Equal("192.0.2.9:9", mapped.ToString());
    }
}
