using System.Buffers.Binary;
using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

public sealed class ChangeRequestAttributeTests
{
    [Theory]
    [InlineData(0, 0u)]
    [InlineData((int)StunChangeFlags.ChangePort, 2u)]
    [InlineData((int)StunChangeFlags.ChangeIP, 4u)]
    [InlineData((int)(StunChangeFlags.ChangeIP | StunChangeFlags.ChangePort), 6u)]
    public void ChangeRequest_Write_FlagBits(int flagValue, uint wire)
    {
        var flags = (StunChangeFlags)flagValue;
        var bytes = StunMessageTests.Build((ref w) => Assert.True(ChangeRequestAttribute.Write(ref w, flags)), StunClass.Request);
        Assert.Equal(0x0003, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(20)));
        Assert.Equal(4, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(22)));
        Assert.Equal(wire, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(24)));
        Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out var message));
        Assert.True(ChangeRequestAttribute.TryRead(message, out var read));
        Assert.Equal(flags, read);
    }
}
