using System.Buffers.Binary;
using System.Text;
using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

public sealed class StunAttributeTests
{
    [Theory]
    [InlineData(300, "Try Alternate")]
    [InlineData(420, "Unknown Attribute")]
    [InlineData(699, "")]
    public void ErrorCode_WriteThenRead_Same(int code, string reason)
    {
        var bytes = StunMessageTests.Build((ref w) => Assert.True(ErrorCodeAttribute.Write(ref w, code, Encoding.UTF8.GetBytes(reason))), StunClass.ErrorResponse);
        Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out var message));
        Assert.True(ErrorCodeAttribute.TryRead(message, out int read, out var readReason));
        Assert.Equal(code, read);
        Assert.Equal(reason, Encoding.UTF8.GetString(readReason));
    }

    [Theory]
    [InlineData("00000200")]
    [InlineData("00000700")]
    [InlineData("00000464")]
    [InlineData("000004")]
    [InlineData("")]
    public void ErrorCode_BadClassNumberOrLength_Refused(string value)
    {
        Assert.False(ErrorCodeAttribute.TryDecode(Convert.FromHexString(value), out _, out _));
    }

    [Fact]
    public void ErrorCode_ReasonTooLong_Refused()
    {
        var value = new byte[4 + 764];
        value[2] = 4;
        Assert.False(ErrorCodeAttribute.TryDecode(value, out _, out _));
        Assert.True(ErrorCodeAttribute.TryDecode(value.AsSpan(0, 4 + 763), out int code, out _));
        Assert.Equal(400, code);
    }

    [Fact]
    public void ErrorCode_OutOfRangeCode_NotWritten()
    {
        var buffer = new byte[64];
        var writer = new StunMessageWriter(buffer, StunClass.ErrorResponse, 1, default);
        Assert.False(ErrorCodeAttribute.Write(ref writer, 299, default));
        Assert.False(ErrorCodeAttribute.Write(ref writer, 700, default));
        Assert.Equal(StunConstants.HeaderLength, writer.Length);
    }

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

    [Fact]
    public void ResponsePort_WriteThenRead_Same()
    {
        var bytes = StunMessageTests.Build((ref w) => Assert.True(ResponsePortAttribute.Write(ref w, 54321)), StunClass.Request);
        Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out var message));
        Assert.True(ResponsePortAttribute.TryRead(message, out ushort port));
        Assert.Equal(54321, port);
        Assert.Equal(28, bytes.Length);
    }

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

    [Fact]
    public void Fingerprint_Rfc5769Vectors_RecomputedEqual()
    {
        foreach (var bytes in new[] { Rfc5769Vectors.Request, Rfc5769Vectors.IPv4Response, Rfc5769Vectors.IPv6Response })
        {
            uint expected = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(bytes.Length - 4));
            Assert.Equal(expected, FingerprintAttribute.Compute(bytes.AsSpan(0, bytes.Length - 8)));
        }
    }

    [Fact]
    public void Crc32_KnownCheckValue_Matches()
    {
        // The standard CRC-32 check value of "123456789".
        Assert.Equal(0xCBF43926u, StunCrc32.Compute("123456789"u8));
        Assert.Equal(0u, StunCrc32.Compute(default));
    }

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
