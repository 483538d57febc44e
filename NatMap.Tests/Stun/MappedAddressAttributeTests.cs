using System.Net;
using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

public sealed class MappedAddressAttributeTests
{
    private static readonly StunTransactionId Id = StunTransactionId.Read(Rfc5769Vectors.TransactionId);

    [Theory]
    [InlineData("0000 0008 0001 1234 c0000201", "192.0.2.1:4660")]
    [InlineData("0000 0014 0002 0050 20010db8000000000000000000000001", "[2001:db8::1]:80")]
    [InlineData("ff00 0008 ff01 1234 c0000201", "192.0.2.1:4660")]
    public void MappedAddress_Valid_Read(string value, string expected)
    {
        var raw = Rfc5769Vectors.Hex(value).AsSpan(4);
        Assert.True(MappedAddressAttribute.TryDecode(raw, out var address));
        Assert.Equal(expected, address.ToIPEndPoint().ToString());
    }

    [Theory]
    [InlineData("0003 1234 c0000201")]
    [InlineData("0000 1234 c0000201")]
    [InlineData("0001 1234 c00002")]
    [InlineData("0001 1234 c000020100")]
    [InlineData("0001 1234 20010db8000000000000000000000001")]
    [InlineData("0002 1234 c0000201")]
    [InlineData("0002 1234 20010db80000000000000000000000")]
    [InlineData("0001 12")]
    [InlineData("")]
    public void MappedAddress_UnknownFamilyOrWrongLength_Refused(string value)
    {
        var raw = Rfc5769Vectors.Hex(value);
        Assert.False(MappedAddressAttribute.TryDecode(raw, out _));
        Assert.False(XorMappedAddressAttribute.TryDecode(raw, new byte[16], out _));
    }

    [Fact]
    public void StunAddress_FromMappedIPv4_BecomesIPv4()
    {
        var address = StunAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("192.0.2.1").MapToIPv6(), 5));
        Assert.Equal(StunAddress.FamilyIPv4, address.Family);
        Assert.Equal("192.0.2.1:5", address.ToString());
    }

    [Fact]
    public void Write_DefaultAddress_Refused()
    {
        var buffer = new byte[64];
        var writer = new StunMessageWriter(buffer, StunClass.Request, 1, Id);
        Assert.False(MappedAddressAttribute.Write(ref writer, StunAttributeType.MappedAddress, default));
        Assert.Equal(StunConstants.HeaderLength, writer.Length);
    }
}
