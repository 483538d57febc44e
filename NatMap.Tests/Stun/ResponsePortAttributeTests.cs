using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

public sealed class ResponsePortAttributeTests
{
    [Fact]
    public void ResponsePort_WriteThenRead_Same()
    {
        var bytes = StunMessageTests.Build((ref w) => Assert.True(ResponsePortAttribute.Write(ref w, 54321)), StunClass.Request);
        Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out var message));
        Assert.True(ResponsePortAttribute.TryRead(message, out ushort port));
        Assert.Equal(54321, port);
        Assert.Equal(28, bytes.Length);
    }
}
