using System.Net;
using System.Text;
using NatMap.Stun.Internal;

namespace NatMap.Tests.Fakes;

/// <summary>
/// The fakes' Binding messages: responses built with the library's writer and requests read with
/// its parser. The codec itself is proven apart from the fakes, against the RFC 5769 vectors.
/// </summary>
internal static class StunResponses
{
    /// <summary>
    /// A success response for <paramref name="id"/> reporting <paramref name="mapped"/> in
    /// XOR-MAPPED-ADDRESS, with SOFTWARE "fake", and OTHER-ADDRESS and RESPONSE-ORIGIN (RFC 5780)
    /// when given.
    /// </summary>
    public static byte[] Success(StunTransactionId id, IPEndPoint mapped, bool fingerprint = true, IPEndPoint? otherAddress = null, IPEndPoint? responseOrigin = null)
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, StunClass.SuccessResponse, (ushort)StunMethod.Binding, id);
        XorMappedAddressAttribute.Write(ref writer, StunAddress.FromIPEndPoint(mapped));
        if (otherAddress is not null)
        {
            OtherAddressAttribute.Write(ref writer, StunAddress.FromIPEndPoint(otherAddress));
        }

        if (responseOrigin is not null)
        {
            ResponseOriginAttribute.Write(ref writer, StunAddress.FromIPEndPoint(responseOrigin));
        }

        SoftwareAttribute.Write(ref writer, "fake");
        if (fingerprint)
        {
            FingerprintAttribute.Write(ref writer);
        }

        return writer.Written.ToArray();
    }

    /// <summary>An error response for <paramref name="id"/>.</summary>
    public static byte[] Error(StunTransactionId id, int code, string reason)
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, StunClass.ErrorResponse, (ushort)StunMethod.Binding, id);
        ErrorCodeAttribute.Write(ref writer, code, Encoding.UTF8.GetBytes(reason));
        FingerprintAttribute.Write(ref writer);
        return writer.Written.ToArray();
    }

    /// <summary>True when <paramref name="datagram"/> is a well-formed Binding request.</summary>
    public static bool TryReadBindingRequest(ReadOnlySpan<byte> datagram, out StunMessage request) =>
        StunMessage.TryParse(datagram, out request) == StunParseError.None
        && request.Header.Class == StunClass.Request
        && request.Header.Method == (ushort)StunMethod.Binding;

    /// <summary>The transaction id of a request, asserting it is a Binding request.</summary>
    public static StunTransactionId RequestId(ReadOnlySpan<byte> request)
    {
        Assert.Equal(StunParseError.None, StunMessage.TryParse(request, out var message));
        Assert.Equal(StunClass.Request, message.Header.Class);
        Assert.Equal((ushort)StunMethod.Binding, message.Header.Method);
        return message.Header.TransactionId;
    }

    /// <summary>Any other transaction id.</summary>
    public static StunTransactionId Other(StunTransactionId id)
    {
        StunTransactionId other;
        do
        {
            other = StunTransactionId.NewRandom();
        }
        while (other == id);
        return other;
    }
}
