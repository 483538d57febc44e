using System.Buffers.Binary;
using System.Net;
using System.Text;
using NatMap.Stun.Internal;
using NatMap.Tests.Fakes;

namespace NatMap.Tests.Stun;

public sealed class StunBindingTransactionTests
{
    private static readonly StunTransactionId VectorId = StunTransactionId.Read(Rfc5769Vectors.TransactionId);

    [Fact]
    public void Accept_Rfc5769IPv4Response_MappedAddress()
    {
        var transaction = StunBindingTransaction.Create(VectorId);
        Assert.Equal(StunAcceptResult.Success, transaction.Accept(Rfc5769Vectors.IPv4Response, out var response));
        Assert.NotNull(response);
        Assert.True(response.IsSuccess);
        Assert.True(response.MappedAddressWasXored);
        Assert.Equal("192.0.2.1:32853", response.MappedAddress!.ToString());
        Assert.Equal("test vector", response.Software);
    }

    [Fact]
    public void Accept_Rfc5769IPv6Response_MappedAddress()
    {
        var transaction = StunBindingTransaction.Create(VectorId);
        Assert.True(transaction.TryAccept(Rfc5769Vectors.IPv6Response, out var response));
        Assert.Equal("[2001:db8:1234:5678:11:2233:4455:6677]:32853", response.MappedAddress!.ToString());
    }

    [Fact]
    public void Accept_OtherTransaction_Mismatch()
    {
        var transaction = StunBindingTransaction.Create();
        Assert.Equal(StunAcceptResult.TransactionMismatch, transaction.Accept(Rfc5769Vectors.IPv4Response, out var response));
        Assert.Null(response);
        Assert.False(transaction.TryAccept(Rfc5769Vectors.IPv4Response, out _));
    }

    [Fact]
    public void Accept_RequestClass_Malformed()
    {
        // The RFC 5769 request carries the same transaction id but is a request, not a response.
        var transaction = StunBindingTransaction.Create(VectorId);
        Assert.Equal(StunAcceptResult.Malformed, transaction.Accept(Rfc5769Vectors.Request, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0101")]
    [InlineData("474554202f20485454502f312e310d0a0d0a0000")]
    [InlineData("0101000021124443b7e7a701bc34d686fa87dfae")]
    public void Accept_NotStun_Reported(string hex)
    {
        var transaction = StunBindingTransaction.Create(VectorId);
        Assert.Equal(StunAcceptResult.NotStun, transaction.Accept(Convert.FromHexString(hex), out _));
    }

    [Fact]
    public void Accept_OwnRequestEchoed_Malformed()
    {
        var transaction = StunBindingTransaction.Create();
        Assert.Equal(StunAcceptResult.Malformed, transaction.Accept(transaction.Request.Span, out _));
    }

    [Fact]
    public void Accept_OtherMethod_Malformed()
    {
        var transaction = StunBindingTransaction.Create();
        var buffer = new byte[64];
        var writer = new StunMessageWriter(buffer, StunClass.SuccessResponse, 0x003, transaction.TransactionId);
        Assert.True(XorMappedAddressAttribute.Write(ref writer, StunAddress.FromIPEndPoint(IPEndPoint.Parse("192.0.2.1:1"))));
        Assert.Equal(StunAcceptResult.Malformed, transaction.Accept(buffer.AsSpan(0, writer.Length), out _));
    }

    [Fact]
    public void Accept_SuccessWithoutAddress_Malformed()
    {
        var transaction = StunBindingTransaction.Create();
        var bytes = StunMessageTests.Build((ref w) => SoftwareAttribute.Write(ref w, "x"), transactionId: transaction.TransactionId);
        Assert.Equal(StunAcceptResult.Malformed, transaction.Accept(bytes, out _));
    }

    [Fact]
    public void Accept_BadFingerprint_Malformed()
    {
        var transaction = StunBindingTransaction.Create(VectorId);
        var bytes = Rfc5769Vectors.IPv4Response;
        bytes[^2] ^= 0x10;
        Assert.Equal(StunAcceptResult.Malformed, transaction.Accept(bytes, out _));
    }

    [Fact]
    public void Accept_UnknownComprehensionRequired_FailsTheTransaction()
    {
        var transaction = StunBindingTransaction.Create();
        var bytes = StunMessageTests.Build((ref w) =>
        {
            XorMappedAddressAttribute.Write(ref w, StunAddress.FromIPEndPoint(IPEndPoint.Parse("192.0.2.1:1")));
            w.TryAppendAttribute((StunAttributeType)0x7001, 4, out _);
        }, transactionId: transaction.TransactionId);
        Assert.Equal(StunAcceptResult.UnknownRequiredAttribute, transaction.Accept(bytes, out _, out var discarded));
        Assert.Equal(StunDiscardReason.None, discarded);
    }

    [Theory]
    [MemberData(nameof(StunResponses.ForgeableReasons), MemberType = typeof(StunResponses))]
    public void Accept_ForgedAnswer_DiscardedForThatReason(string reasonName)
    {
        var reason = StunResponses.Reason(reasonName);
        var transaction = StunBindingTransaction.Create();

        var result = transaction.Accept(StunResponses.Forged(reason, transaction.TransactionId), out var response, out var discarded);

        Assert.Equal(reason, discarded);
        Assert.Null(response);
        Assert.NotEqual(StunAcceptResult.Success, result);
        Assert.NotEqual(StunAcceptResult.ErrorResponse, result);
        Assert.NotEqual(StunAcceptResult.UnknownRequiredAttribute, result);
    }

    [Fact]
    public void Accept_UnknownComprehensionOptional_Ignored()
    {
        var transaction = StunBindingTransaction.Create();
        var bytes = StunMessageTests.Build((ref w) =>
        {
            XorMappedAddressAttribute.Write(ref w, StunAddress.FromIPEndPoint(IPEndPoint.Parse("192.0.2.1:1")));
            w.TryAppendAttribute((StunAttributeType)0xC001, 4, out _);
            FingerprintAttribute.Write(ref w);
        }, transactionId: transaction.TransactionId);
        Assert.Equal(StunAcceptResult.Success, transaction.Accept(bytes, out _));
    }

    [Fact]
    public void Accept_OnlyMappedAddress_FallsBack()
    {
        var transaction = StunBindingTransaction.Create();
        var bytes = StunMessageTests.Build((ref w) =>
        {
            MappedAddressAttribute.Write(ref w, StunAttributeType.MappedAddress, StunAddress.FromIPEndPoint(IPEndPoint.Parse("198.51.100.1:7")));
            ChangedAddressAttribute.Write(ref w, StunAddress.FromIPEndPoint(IPEndPoint.Parse("198.51.100.2:3479")));
        }, transactionId: transaction.TransactionId);
        Assert.True(transaction.TryAccept(bytes, out var response));
        Assert.False(response.MappedAddressWasXored);
        Assert.Equal("198.51.100.1:7", response.MappedAddress!.ToString());
        Assert.Equal("198.51.100.2:3479", response.OtherAddress!.ToString());
        Assert.Null(response.ResponseOrigin);
    }

    [Fact]
    public void Accept_BothAddresses_PrefersXorAndOtherAddress()
    {
        var transaction = StunBindingTransaction.Create();
        var bytes = StunMessageTests.Build((ref w) =>
        {
            MappedAddressAttribute.Write(ref w, StunAttributeType.MappedAddress, StunAddress.FromIPEndPoint(IPEndPoint.Parse("198.51.100.1:7")));
            XorMappedAddressAttribute.Write(ref w, StunAddress.FromIPEndPoint(IPEndPoint.Parse("203.0.113.1:45555")));
            ChangedAddressAttribute.Write(ref w, StunAddress.FromIPEndPoint(IPEndPoint.Parse("198.51.100.2:3479")));
            OtherAddressAttribute.Write(ref w, StunAddress.FromIPEndPoint(IPEndPoint.Parse("203.0.113.3:3479")));
            ResponseOriginAttribute.Write(ref w, StunAddress.FromIPEndPoint(IPEndPoint.Parse("203.0.113.2:3478")));
            FingerprintAttribute.Write(ref w);
        }, transactionId: transaction.TransactionId);
        Assert.True(transaction.TryAccept(bytes, out var response));
        Assert.True(response.MappedAddressWasXored);
        Assert.Equal("203.0.113.1:45555", response.MappedAddress!.ToString());
        Assert.Equal("203.0.113.3:3479", response.OtherAddress!.ToString());
        Assert.Equal("203.0.113.2:3478", response.ResponseOrigin!.ToString());
    }

    [Fact]
    public void Accept_ErrorResponse_CodeReasonUnknown()
    {
        var transaction = StunBindingTransaction.Create(StunChangeFlags.ChangeIP);
        var bytes = StunMessageTests.Build((ref w) =>
        {
            ErrorCodeAttribute.Write(ref w, 420, "Unknown Attribute"u8);
            UnknownAttributesAttribute.Write(ref w, [0x0003]);
        }, StunClass.ErrorResponse, transaction.TransactionId);
        Assert.Equal(StunAcceptResult.ErrorResponse, transaction.Accept(bytes, out var response));
        Assert.NotNull(response);
        Assert.False(response.IsSuccess);
        Assert.Equal(420, response.ErrorCode);
        Assert.Equal("Unknown Attribute", response.ErrorReason);
        Assert.Equal([(ushort)0x0003], response.UnknownAttributes);
    }

    [Fact]
    public void Accept_ErrorWithoutErrorCode_Malformed()
    {
        var transaction = StunBindingTransaction.Create();
        var bytes = StunMessageTests.Build((ref w) => SoftwareAttribute.Write(ref w, "x"), StunClass.ErrorResponse, transaction.TransactionId);
        Assert.Equal(StunAcceptResult.Malformed, transaction.Accept(bytes, out _));
    }

    [Fact]
    public void Create_Options_RequestCarriesThemInOrder()
    {
        var transaction = StunBindingTransaction.Create(StunChangeFlags.ChangeIP | StunChangeFlags.ChangePort, "natmap test", 40000, 9);
        var request = transaction.Request.ToArray();
        Assert.Equal(StunParseError.None, StunMessage.TryParse(request, out var message));
        Assert.Equal(StunClass.Request, message.Header.Class);
        Assert.Equal(transaction.TransactionId, message.Header.TransactionId);
        var types = new List<ushort>();
        foreach (var attribute in message.GetAttributes())
        {
            types.Add(attribute.Type);
        }

        Assert.Equal([0x0003, 0x0027, 0x0026, 0x8022, 0x8028], types);
        Assert.True(ChangeRequestAttribute.TryRead(message, out var flags));
        Assert.Equal(StunChangeFlags.ChangeIP | StunChangeFlags.ChangePort, flags);
        Assert.True(ResponsePortAttribute.TryRead(message, out ushort port));
        Assert.Equal(40000, port);
        Assert.True(PaddingAttribute.TryRead(message, out int padding));
        Assert.Equal(9, padding);
        Assert.True(SoftwareAttribute.TryRead(message, out var software));
        Assert.Equal("natmap test", Encoding.UTF8.GetString(software));
        Assert.True(message.FingerprintOffset > 0);

        var copy = new byte[request.Length];
        Assert.Equal(request.Length, transaction.WriteRequest(copy));
        Assert.Equal(request, copy);
        Assert.Equal(0, transaction.WriteRequest(new byte[request.Length - 1]));
    }

    [Fact]
    public void Create_Plain_TwentyBytesPlusFingerprint()
    {
        var transaction = StunBindingTransaction.Create();
        Assert.Equal(28, transaction.Request.Length);
        Assert.Equal(0x0001, BinaryPrimitives.ReadUInt16BigEndian(transaction.Request.Span));
        Assert.Equal(8, BinaryPrimitives.ReadUInt16BigEndian(transaction.Request.Span[2..]));
        Assert.NotEqual(transaction.TransactionId, StunBindingTransaction.Create().TransactionId);
    }

    [Fact]
    public void Matches_SameIdOnly()
    {
        var transaction = StunBindingTransaction.Create(VectorId);
        Assert.True(transaction.Matches(Rfc5769Vectors.IPv4Response));
        Assert.False(StunBindingTransaction.Create().Matches(Rfc5769Vectors.IPv4Response));
        Assert.True(StunBindingTransaction.LooksLikeStun(Rfc5769Vectors.IPv4Response));
        Assert.False(StunBindingTransaction.LooksLikeStun("GET / HTTP/1.1\r\n\r\n12345"u8));
    }
}
