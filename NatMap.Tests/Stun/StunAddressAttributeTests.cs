using System.Net;
using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

public sealed class StunAddressAttributeTests
{
    private static readonly StunTransactionId Id = StunTransactionId.Read(Rfc5769Vectors.TransactionId);

    [Theory]
    [InlineData("192.0.2.1", 32853)]
    [InlineData("2001:db8:1234:5678:11:2233:4455:6677", 32853)]
    [InlineData("0.0.0.0", 0)]
    [InlineData("255.255.255.255", 65535)]
    public void XorMappedAddress_WriteThenRead_SameEndpoint(string ip, int port)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(ip), port);
        var bytes = StunMessageTests.Build((ref w) => Assert.True(XorMappedAddressAttribute.Write(ref w, StunAddress.FromIPEndPoint(endPoint))), transactionId: Id);
        Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out var message));
        Assert.True(XorMappedAddressAttribute.TryRead(message, out var address));
        Assert.Equal(endPoint, address.ToIPEndPoint());
        Assert.False(MappedAddressAttribute.TryRead(message, out _));
    }

    [Fact]
    public void XorMappedAddress_Rfc5769IPv4_BytesMatchVector()
    {
        var bytes = StunMessageTests.Build((ref w) =>
        {
            Assert.True(SoftwareAttribute.Write(ref w, "test vector"));
            Assert.True(XorMappedAddressAttribute.Write(ref w, StunAddress.FromIPEndPoint(IPEndPoint.Parse("192.0.2.1:32853"))));
        }, transactionId: Id);
        var vector = Rfc5769Vectors.IPv4Response;

        // Header through XOR-MAPPED-ADDRESS, except the length (the vector goes on) and byte 35:
        // the vector pads SOFTWARE with a space where the writer pads with zero (RFC 8489 section
        // 14 leaves padding content free).
        Assert.Equal(48, bytes.Length);
        Assert.Equal(vector.AsSpan(4, 31).ToArray(), bytes.AsSpan(4, 31).ToArray());
        Assert.Equal(0x20, vector[35]);
        Assert.Equal(0x00, bytes[35]);
        Assert.Equal(vector.AsSpan(36, 12).ToArray(), bytes.AsSpan(36, 12).ToArray());
    }

    [Fact]
    public void XorMappedAddress_LegacyType_Read()
    {
        var bytes = StunMessageTests.Build((ref w) => Assert.True(XorMappedAddressAttribute.Write(ref w, StunAddress.FromIPEndPoint(IPEndPoint.Parse("198.51.100.4:4000")))), transactionId: Id);
        bytes[20] = 0x80;
        Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out var message));
        Assert.True(message.TryGetAttribute(StunAttributeType.XorMappedAddressLegacy, out ReadOnlySpan<byte> _));
        Assert.True(XorMappedAddressAttribute.TryRead(message, out var address));
        Assert.Equal("198.51.100.4:4000", address.ToIPEndPoint().ToString());
    }

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
    public void XorMappedAddress_WrongLengthInMessage_Refused()
    {
        var bytes = StunMessageTests.Build((ref w) =>
        {
            Assert.True(w.TryAppendAttribute(StunAttributeType.XorMappedAddress, 12, out var value));
            value[1] = StunAddress.FamilyIPv4;
        });
        Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out var message));
        Assert.False(XorMappedAddressAttribute.TryRead(message, out _));
    }

    [Fact]
    public void OtherAddressFamily_WriteThenRead_Independent()
    {
        var bytes = StunMessageTests.Build((ref w) =>
        {
            Assert.True(ResponseOriginAttribute.Write(ref w, StunAddress.FromIPEndPoint(IPEndPoint.Parse("203.0.113.2:3478"))));
            Assert.True(OtherAddressAttribute.Write(ref w, StunAddress.FromIPEndPoint(IPEndPoint.Parse("203.0.113.3:3479"))));
            Assert.True(ChangedAddressAttribute.Write(ref w, StunAddress.FromIPEndPoint(IPEndPoint.Parse("[2001:db8::3]:3479"))));
            Assert.True(MappedAddressAttribute.Write(ref w, StunAttributeType.MappedAddress, StunAddress.FromIPEndPoint(IPEndPoint.Parse("192.0.2.9:9"))));
        });
        Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out var message));
        Assert.True(ResponseOriginAttribute.TryRead(message, out var origin));
        Assert.True(OtherAddressAttribute.TryRead(message, out var other));
        Assert.True(ChangedAddressAttribute.TryRead(message, out var changed));
        Assert.True(MappedAddressAttribute.TryRead(message, out var mapped));
        Assert.Equal("203.0.113.2:3478", origin.ToString());
        Assert.Equal("203.0.113.3:3479", other.ToString());
        Assert.Equal("[2001:db8::3]:3479", changed.ToString());
        Assert.Equal("192.0.2.9:9", mapped.ToString());
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
