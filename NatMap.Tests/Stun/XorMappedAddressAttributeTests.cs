using System.Net;
using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

public sealed class XorMappedAddressAttributeTests
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
}
