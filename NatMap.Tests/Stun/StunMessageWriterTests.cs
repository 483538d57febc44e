using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

public sealed class StunMessageWriterTests
{
    [Fact]
    public void Writer_TooSmallBuffer_ReportsOverflowWithoutWritingPast()
    {
        var buffer = new byte[40];
        var writer = new StunMessageWriter(buffer.AsSpan(0, 30), StunClass.Request, 1, default);
        Assert.True(writer.TryAppendAttribute(StunAttributeType.Software, 4, out _));
        Assert.False(SoftwareAttribute.Write(ref writer, "toolong"));
        Assert.True(writer.Overflowed);
        Assert.False(FingerprintAttribute.Write(ref writer));
        Assert.All(buffer.AsSpan(30).ToArray(), b => Assert.Equal(0, b));

        var tiny = new StunMessageWriter(new byte[19], StunClass.Request, 1, default);
        Assert.True(tiny.Overflowed);
        Assert.False(FingerprintAttribute.Write(ref tiny));
    }
}
