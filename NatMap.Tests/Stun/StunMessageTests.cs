using System.Buffers.Binary;
using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

public sealed class StunMessageTests
{
    public static TheoryData<string> Vectors => ["request", "ipv4", "ipv6"];

    internal static byte[] Vector(string name) => name switch
    {
        "request" => Rfc5769Vectors.Request,
        "ipv4" => Rfc5769Vectors.IPv4Response,
        "ipv6" => Rfc5769Vectors.IPv6Response,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Fact]
    public void TryParse_Rfc5769Request_HeaderAndAttributes()
    {
        var bytes = Rfc5769Vectors.Request;
        Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out var message));
        Assert.Equal(StunClass.Request, message.Header.Class);
        Assert.Equal((ushort)StunMethod.Binding, message.Header.Method);
        Assert.Equal(0x58, message.Header.Length);
        Assert.Equal(StunTransactionId.Read(Rfc5769Vectors.TransactionId), message.Header.TransactionId);
        Assert.Equal(bytes.Length - 8, message.FingerprintOffset);

        var types = new List<ushort>();
        foreach (var attribute in message.GetAttributes())
        {
            types.Add(attribute.Type);
        }

        Assert.Equal([0x8022, 0x0024, 0x8029, 0x0006, 0x0008, 0x8028], types);
        Assert.True(SoftwareAttribute.TryRead(message, out var software));
        Assert.Equal("STUN test client", System.Text.Encoding.UTF8.GetString(software));
        Assert.True(message.TryGetAttribute(StunAttributeType.Username, out ReadOnlySpan<byte> username));
        Assert.Equal("evtj:h6vY", System.Text.Encoding.UTF8.GetString(username));
        Assert.True(message.TryGetAttribute((StunAttributeType)0x0024, out ReadOnlySpan<byte> priority));
        Assert.Equal(0x6e0001ffu, BinaryPrimitives.ReadUInt32BigEndian(priority));
    }

    [Fact]
    public void TryParse_Rfc5769IPv4Response_XorMappedAddress()
    {
        Assert.Equal(StunParseError.None, StunMessage.TryParse(Rfc5769Vectors.IPv4Response, out var message));
        Assert.Equal(StunClass.SuccessResponse, message.Header.Class);
        Assert.True(XorMappedAddressAttribute.TryRead(message, out var address));
        Assert.Equal("192.0.2.1:32853", address.ToIPEndPoint().ToString());
        Assert.True(SoftwareAttribute.TryRead(message, out var software));
        Assert.Equal("test vector", System.Text.Encoding.UTF8.GetString(software));
    }

    [Fact]
    public void TryParse_Rfc5769IPv6Response_XorMappedAddress()
    {
        Assert.Equal(StunParseError.None, StunMessage.TryParse(Rfc5769Vectors.IPv6Response, out var message));
        Assert.True(XorMappedAddressAttribute.TryRead(message, out var address));
        Assert.Equal("[2001:db8:1234:5678:11:2233:4455:6677]:32853", address.ToIPEndPoint().ToString());
    }


    [Theory]
    [MemberData(nameof(Vectors))]
    public void TryParse_EveryTruncation_Refused(string name)
    {
        var bytes = Vector(name);
        for (int length = 0; length < bytes.Length; length++)
        {
            Assert.NotEqual(StunParseError.None, StunMessage.TryParse(bytes.AsSpan(0, length), out _));
        }
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void TryParse_EveryTruncationWithLengthFixedUp_Refused(string name)
    {
        // A truncated message whose header length was patched to agree: the cut lands inside an
        // attribute, so the attribute or FINGERPRINT checks must catch it.
        var bytes = Vector(name);
        for (int length = StunConstants.HeaderLength + 4; length < bytes.Length; length += 4)
        {
            var cut = bytes.AsSpan(0, length).ToArray();
            BinaryPrimitives.WriteUInt16BigEndian(cut.AsSpan(2), (ushort)(length - StunConstants.HeaderLength));
            var error = StunMessage.TryParse(cut, out var message);
            if (error == StunParseError.None)
            {
                // Only a cut exactly on an attribute boundary can parse; it then has no FINGERPRINT.
                Assert.Equal(-1, message.FingerprintOffset);
            }
        }
    }

    [Fact]
    public void TryParse_FlippedBitAnywhere_RefusedOrFingerprintGone()
    {
        // CRC-32 catches every single-bit error it covers. A flip can only get through by making
        // the FINGERPRINT attribute disappear (its type renamed, or an earlier length swallowing
        // it), which a receiver sees as FingerprintOffset == -1.
        var bytes = Rfc5769Vectors.IPv4Response;
        int refused = 0;
        for (int i = 0; i < bytes.Length * 8; i++)
        {
            var copy = (byte[])bytes.Clone();
            copy[i / 8] ^= (byte)(1 << (i % 8));
            var error = StunMessage.TryParse(copy, out var message);
            Assert.True(error != StunParseError.None || message.FingerprintOffset == -1, "bit " + i);
            refused += error != StunParseError.None ? 1 : 0;
        }

        Assert.True(refused > (bytes.Length * 8) - 32, refused + " refused");
    }

    [Fact]
    public void TryParse_BadCrc_Refused()
    {
        var bytes = Rfc5769Vectors.IPv4Response;
        bytes[^1] ^= 1;
        Assert.Equal(StunParseError.BadFingerprint, StunMessage.TryParse(bytes, out _));
    }

    [Fact]
    public void TryParse_WrongCookie_Refused()
    {
        var bytes = Rfc5769Vectors.IPv4Response;
        bytes[4] = 0x21;
        bytes[7] = 0x43;
        Assert.Equal(StunParseError.BadCookie, StunMessage.TryParse(bytes, out _));
    }

    [Fact]
    public void TryParse_LeadingBitsSet_NotStun()
    {
        var bytes = Rfc5769Vectors.IPv4Response;
        bytes[0] |= 0x80;
        Assert.Equal(StunParseError.NotStun, StunMessage.TryParse(bytes, out _));
        bytes[0] = 0x41;
        Assert.Equal(StunParseError.NotStun, StunMessage.TryParse(bytes, out _));
    }

    [Fact]
    public void TryParse_LengthNotMultipleOfFour_Refused()
    {
        var bytes = Build((ref w) => SoftwareAttribute.Write(ref w, "abcd"));
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), 6);
        Assert.Equal(StunParseError.BadLength, StunMessage.TryParse(bytes.AsSpan(0, 26), out _));
    }

    [Fact]
    public void TryParse_TrailingBytes_Refused()
    {
        var bytes = Rfc5769Vectors.IPv4Response.Concat(new byte[4]).ToArray();
        Assert.Equal(StunParseError.TrailingData, StunMessage.TryParse(bytes, out _));
    }

    [Fact]
    public void TryParse_AttributeLongerThanMessage_Refused()
    {
        var bytes = Build((ref w) => SoftwareAttribute.Write(ref w, "abcdefgh"));
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(22), 9 + 4);
        Assert.Equal(StunParseError.AttributeOverflow, StunMessage.TryParse(bytes, out _));
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(22), 0xFFFF);
        Assert.Equal(StunParseError.AttributeOverflow, StunMessage.TryParse(bytes, out _));
    }

    [Fact]
    public void TryParse_LastAttributeUnpadded_Refused()
    {
        // SOFTWARE "abcde" sent without its 3 padding bytes: the length (9) is not a multiple of 4.
        var bytes = Rfc5769Vectors.Hex("0101 0009 2112a442 000102030405060708090a0b 8022 0005 6162636465");
        Assert.Equal(StunParseError.BadLength, StunMessage.TryParse(bytes, out _));
    }

    [Fact]
    public void TryParse_MiddleAttributeUnpadded_Refused()
    {
        // SOFTWARE "abcde" and SOFTWARE "xyz", both unpadded: the total (16) is aligned, but the
        // reader, skipping the padding the first one should have had, lands inside the second and
        // finds an attribute that runs past the end.
        var bytes = Rfc5769Vectors.Hex("0101 0010 2112a442 000102030405060708090a0b 8022 0005 6162636465 8022 0003 78797a");
        Assert.Equal(StunParseError.AttributeOverflow, StunMessage.TryParse(bytes, out _));
    }

    [Fact]
    public void TryParse_PaddingBytesNotZero_Accepted()
    {
        // RFC 8489 section 14: padding content is ignored; RFC 5769 pads USERNAME with spaces.
        var bytes = Build((ref w) => SoftwareAttribute.Write(ref w, "abc"));
        bytes[^1] = 0x20;
        Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out _));
    }

    [Fact]
    public void TryParse_AttributeAfterFingerprint_Refused()
    {
        var writer = new byte[128];
        var w = new StunMessageWriter(writer, StunClass.SuccessResponse, 1, StunTransactionId.NewRandom());
        Assert.True(FingerprintAttribute.Write(ref w));
        Assert.True(SoftwareAttribute.Write(ref w, "late"));
        Assert.Equal(StunParseError.FingerprintNotLast, StunMessage.TryParse(writer.AsSpan(0, w.Length), out _));
    }

    [Fact]
    public void TryParse_FingerprintWrongLength_Refused()
    {
        var bytes = Build((ref w) => w.TryAppendAttribute(StunAttributeType.Fingerprint, 8, out _));
        Assert.Equal(StunParseError.BadFingerprint, StunMessage.TryParse(bytes, out _));
    }

    [Fact]
    public void TryGetAttribute_AfterMessageIntegrity_Ignored()
    {
        var bytes = new byte[256];
        var w = new StunMessageWriter(bytes, StunClass.SuccessResponse, 1, StunTransactionId.NewRandom());
        Assert.True(MessageIntegrityAttribute.Write(ref w, "key"u8));
        Assert.True(SoftwareAttribute.Write(ref w, "after"));
        Assert.True(FingerprintAttribute.Write(ref w));
        Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes.AsSpan(0, w.Length), out var message));
        Assert.False(SoftwareAttribute.TryRead(message, out _));
        Assert.True(message.TryGetAttribute(StunAttributeType.Fingerprint, out ReadOnlySpan<byte> _));
        Assert.True(MessageIntegrityAttribute.Verify(message, "key"u8));
    }

    [Fact]
    public void TryGetAttribute_Duplicate_FirstWins()
    {
        var bytes = Build((ref w) =>
        {
            SoftwareAttribute.Write(ref w, "first");
            SoftwareAttribute.Write(ref w, "second");
        });
        Assert.Equal(StunParseError.None, StunMessage.TryParse(bytes, out var message));
        Assert.True(SoftwareAttribute.TryRead(message, out var software));
        Assert.Equal("first", System.Text.Encoding.UTF8.GetString(software));
    }

    [Theory]
    [InlineData(0, 0x0001)]
    [InlineData(1, 0x0011)]
    [InlineData(2, 0x0101)]
    [InlineData(3, 0x0111)]
    public void EncodeType_Binding_MatchesRfc(int classValue, int expected)
    {
        var messageClass = (StunClass)classValue;
        Assert.Equal(expected, StunHeader.EncodeType(messageClass, 1));
        var bytes = new byte[20];
        new StunHeader(messageClass, 1, 0, default).WriteTo(bytes);
        Assert.Equal(StunParseError.None, StunHeader.TryRead(bytes, out var header));
        Assert.Equal(messageClass, header.Class);
        Assert.Equal(1, header.Method);
    }

    [Fact]
    public void EncodeType_AllMethodsAndClasses_RoundTrip()
    {
        var bytes = new byte[20];
        for (ushort method = 0; method < 0x1000; method++)
        {
            for (int c = 0; c < 4; c++)
            {
                new StunHeader((StunClass)c, method, 0, default).WriteTo(bytes);
                Assert.Equal(StunParseError.None, StunHeader.TryRead(bytes, out var header));
                Assert.Equal((StunClass)c, header.Class);
                Assert.Equal(method, header.Method);
            }
        }
    }

    internal delegate void WriteAttributes(ref StunMessageWriter writer);

    internal static byte[] Build(WriteAttributes write, StunClass messageClass = StunClass.SuccessResponse, StunTransactionId? transactionId = null)
    {
        var buffer = new byte[1024];
        var writer = new StunMessageWriter(buffer, messageClass, 1, transactionId ?? StunTransactionId.NewRandom());
        write(ref writer);
        Assert.False(writer.Overflowed);
        return buffer.AsSpan(0, writer.Length).ToArray();
    }
}
