using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

public sealed class UnknownAttributesAttributeTests
{
    [Fact]
    public void UnknownAttributes_WriteThenRead_Same()
    {
        ushort[] types = [0x0003, 0x7777, 0x0024];
        var bytes = StunMessageTests.Build((ref w) => Assert.True(UnknownAttributesAttribute.Write(ref w, types)), StunClass.ErrorResponse);
        Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out var message));
        Assert.True(UnknownAttributesAttribute.TryRead(message, out var read));
        Assert.Equal(3, UnknownAttributesAttribute.Count(read));
        Assert.Equal(types[0], UnknownAttributesAttribute.Get(read, 0));
        Assert.Equal(types[1], UnknownAttributesAttribute.Get(read, 1));
        Assert.Equal(types[2], UnknownAttributesAttribute.Get(read, 2));
    }

    [Fact]
    public void UnknownAttributes_OddLength_Refused()
    {
        var bytes = StunMessageTests.Build((ref w) => w.TryAppendAttribute(StunAttributeType.UnknownAttributes, 3, out _));
        Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out var message));
        Assert.False(UnknownAttributesAttribute.TryRead(message, out _));
    }
}
