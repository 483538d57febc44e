using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

public sealed class MessageIntegrityAttributeTests
{
    [Theory]
    [MemberData(nameof(StunMessageTests.Vectors), MemberType = typeof(StunMessageTests))]
    public void MessageIntegrity_Rfc5769Vector_Verifies(string name)
    {
        Assert.Equal(StunParseError.None, StunMessage.TryParse(StunMessageTests.Vector(name), out var message));
        Assert.True(MessageIntegrityAttribute.Verify(message, MessageIntegrityAttribute.ShortTermKey(Rfc5769Vectors.Password)));
        Assert.False(MessageIntegrityAttribute.Verify(message, MessageIntegrityAttribute.ShortTermKey("wrong password")));
    }

    [Fact]
    public void Write_ThenVerify_OnlyWithSameKey()
    {
        var bytes = StunMessageTests.Build((ref w) =>
        {
            Assert.True(SoftwareAttribute.Write(ref w, "integrity"));
            Assert.True(MessageIntegrityAttribute.Write(ref w, "secret"u8));
            Assert.True(FingerprintAttribute.Write(ref w));
        }, StunClass.Request);
        Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out var message));
        Assert.True(MessageIntegrityAttribute.Verify(message, "secret"u8));
        Assert.False(MessageIntegrityAttribute.Verify(message, "Secret"u8));

        var unsigned = StunMessageTests.Build((ref w) => SoftwareAttribute.Write(ref w, "none"), StunClass.Request);
        Assert.Equal(StunParseError.None, StunMessage.TryParse(unsigned, out var plain));
        Assert.False(MessageIntegrityAttribute.Verify(plain, "secret"u8));
    }
}
