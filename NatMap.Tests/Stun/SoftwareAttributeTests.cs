using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

public sealed class SoftwareAttributeTests
{
    [Fact]
    public void Software_TooLong_RefusedBothWays()
    {
        var buffer = new byte[2048];
        var writer = new StunMessageWriter(buffer, StunClass.Request, 1, default);
        Assert.False(SoftwareAttribute.Write(ref writer, new string('x', 764)));
        Assert.True(SoftwareAttribute.Write(ref writer, new string('x', 763)));

        var bytes = StunMessageTests.Build((ref w) => w.TryAppendAttribute(StunAttributeType.Software, 764, out _));
        Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out var message));
        Assert.False(SoftwareAttribute.TryRead(message, out _));
    }
}
