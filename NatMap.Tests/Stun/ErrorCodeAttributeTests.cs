using System.Text;
using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

public sealed class ErrorCodeAttributeTests
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
}
