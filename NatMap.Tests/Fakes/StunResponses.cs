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

    /// <summary>
    /// The discard reasons a server (or an on-path attacker) can cause with one datagram, by name
    /// (theory parameters of public test methods cannot be internal types).
    /// </summary>
    public static TheoryData<string> ForgeableReasons => Names(
    [
        StunDiscardReason.NotStun,
        StunDiscardReason.OtherTransaction,
        StunDiscardReason.Truncated,
        StunDiscardReason.BadLength,
        StunDiscardReason.AttributeOverflow,
        StunDiscardReason.BadFingerprint,
        StunDiscardReason.NotResponse,
        StunDiscardReason.OtherMethod,
        StunDiscardReason.NoMappedAddress,
        StunDiscardReason.BadErrorCode,
    ]);

    /// <summary>The reasons of <see cref="ForgeableReasons"/> that leave STUN's framing intact, so a TCP client can read on past them.</summary>
    public static TheoryData<string> WellFramedReasons => Names(
    [
        StunDiscardReason.OtherTransaction,
        StunDiscardReason.BadFingerprint,
        StunDiscardReason.NotResponse,
        StunDiscardReason.OtherMethod,
        StunDiscardReason.NoMappedAddress,
        StunDiscardReason.BadErrorCode,
    ]);

    /// <summary>A reason named by <see cref="ForgeableReasons"/> or <see cref="WellFramedReasons"/>.</summary>
    public static StunDiscardReason Reason(string name) => Enum.Parse<StunDiscardReason>(name);

    /// <summary>
    /// A forged answer to <paramref name="id"/> that fails exactly the check <paramref name="reason"/>
    /// names (reporting 198.51.100.66:1 where it carries an address), the way a broken server or an
    /// on-path attacker would send it ahead of the true answer.
    /// </summary>
    public static byte[] Forged(StunDiscardReason reason, StunTransactionId id)
    {
        var forgedAddress = IPEndPoint.Parse("198.51.100.66:1");
        switch (reason)
        {
            case StunDiscardReason.NotStun:
                var notStun = Success(id, forgedAddress);
                notStun[0] |= 0xC0;
                return notStun;
            case StunDiscardReason.OtherTransaction:
                return Success(Other(id), forgedAddress);
            case StunDiscardReason.Truncated:
                return Success(id, forgedAddress)[..23];
            case StunDiscardReason.BadLength:
                return [.. Success(id, forgedAddress), 0, 0, 0, 0];
            case StunDiscardReason.AttributeOverflow:
                var overflow = Success(id, forgedAddress, fingerprint: false);
                overflow[22] = 0x01;
                return overflow;
            case StunDiscardReason.BadFingerprint:
                var badCrc = Success(id, forgedAddress);
                badCrc[^1] ^= 0xFF;
                return badCrc;
            case StunDiscardReason.NotResponse:
                return Message(StunClass.Indication, (ushort)StunMethod.Binding, id, forgedAddress);
            case StunDiscardReason.OtherMethod:
                return Message(StunClass.SuccessResponse, 0x003, id, forgedAddress);
            case StunDiscardReason.NoMappedAddress:
                return Message(StunClass.SuccessResponse, (ushort)StunMethod.Binding, id, mapped: null);
            case StunDiscardReason.BadErrorCode:
                return Message(StunClass.ErrorResponse, (ushort)StunMethod.Binding, id, mapped: null);
            default:
                throw new ArgumentOutOfRangeException(nameof(reason), reason, "Not a reason one datagram can forge.");
        }
    }

    private static TheoryData<string> Names(StunDiscardReason[] reasons) => new(reasons.Select(r => r.ToString()));

    private static byte[] Message(StunClass messageClass, ushort method, StunTransactionId id, IPEndPoint? mapped)
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, messageClass, method, id);
        if (mapped is not null)
        {
            XorMappedAddressAttribute.Write(ref writer, StunAddress.FromIPEndPoint(mapped));
        }

        SoftwareAttribute.Write(ref writer, "forged");
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
