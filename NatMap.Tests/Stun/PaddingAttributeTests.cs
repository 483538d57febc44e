using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

public sealed class PaddingAttributeTests
{
    [Theory]
    [InlineData(1, 8)]
    [InlineData(4, 8)]
    [InlineData(5, 12)]
    [InlineData(501, 508)]
    public void Padding_Write_PaddedToFour(int length, int wireSize)
    {
        var bytes = StunMessageTests.Build((ref w) => Assert.True(PaddingAttribute.Write(ref w, length)), StunClass.Request);
        Assert.Equal(20 + wireSize, bytes.Length);
        Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out var message));
        Assert.True(PaddingAttribute.TryRead(message, out int read));
        Assert.Equal(length, read);
    }
}
