using System.Buffers.Binary;
using NatMap.Stun.Internal;
using NatMap.Tests.Stun;

namespace NatMap.Fuzz;

/// <summary>
/// <c>stun</c>: a datagram or TCP frame judged as the client judges it
/// (<c>StunBindingTransaction.Accept</c>), then every attribute reader over the parsed message.
/// Each input runs twice: as it came, and repaired by <see cref="StunRepair"/> so that mutations also
/// reach the attribute readers behind the FINGERPRINT CRC.
/// </summary>
internal static class StunTarget
{
    // RFC 5769 section 2: the vectors' transaction id and short-term password, so the seeds match.
    private static readonly StunTransactionId TransactionId = StunTransactionId.Read(Convert.FromHexString("b7e7a701bc34d686fa87dfae"));
    private static readonly StunBindingTransaction Transaction = StunBindingTransaction.Create(TransactionId);
    private static readonly byte[] IntegrityKey = MessageIntegrityAttribute.ShortTermKey("VOkJxbRl1RmTxUk/WvJxBt");
    private static readonly byte[] Repaired = new byte[StunConstants.MaxMessageLength];

    public static void Run(Stream stream)
    {
        var input = FuzzInput.Read(stream);
        Check(input);
        int length = StunRepair.Repair(input, TransactionId, IntegrityKey, Repaired);
        Check(Repaired.AsSpan(0, length));
    }

    private static void Check(ReadOnlySpan<byte> datagram)
    {
        if (StunCrc32.Compute(datagram) != ReferenceCrc32.Compute(datagram))
        {
            throw new FuzzContractException("StunCrc32 differs from the reference CRC-32");
        }

        var result = Transaction.Accept(datagram, out var response);
        switch (result)
        {
            case StunAcceptResult.Success when response is not { IsSuccess: true, MappedAddress: not null }:
                throw new FuzzContractException("Accept said Success without a mapped address");
            case StunAcceptResult.ErrorResponse when response is not { IsSuccess: false, ErrorCode: >= 300 and <= 699 }:
                throw new FuzzContractException("Accept said ErrorResponse without an error code of 300-699");
            case not (StunAcceptResult.Success or StunAcceptResult.ErrorResponse) when response is not null:
                throw new FuzzContractException("Accept returned a response with " + result);
        }

        if (Transaction.TryAccept(datagram, out _) != (result is StunAcceptResult.Success or StunAcceptResult.ErrorResponse))
        {
            throw new FuzzContractException("TryAccept disagrees with Accept");
        }

        bool looksLikeStun = StunBindingTransaction.LooksLikeStun(datagram);
        bool matches = Transaction.Matches(datagram);
        if (StunHeader.TryRead(datagram, out var header) == StunParseError.None && header.Length % 4 != 0)
        {
            throw new FuzzContractException("StunHeader accepted a length that is not a multiple of 4");
        }

        var error = StunMessage.TryParse(datagram, out var message);
        if (error != StunParseError.None)
        {
            if (result is StunAcceptResult.Success or StunAcceptResult.ErrorResponse)
            {
                throw new FuzzContractException("Accept took a message that StunMessage refuses: " + error);
            }

            return;
        }

        if (!looksLikeStun || message.Raw.Length != datagram.Length || (matches != (message.Header.TransactionId == TransactionId)))
        {
            throw new FuzzContractException("StunMessage and the quick checks disagree");
        }

        ReadEveryAttribute(message);
    }

    private static void ReadEveryAttribute(in StunMessage message)
    {
        int walked = StunConstants.HeaderLength;
        foreach (var attribute in message.GetAttributes())
        {
            if (attribute.Offset != walked || attribute.Offset + StunConstants.AttributeHeaderLength + attribute.Value.Length > message.Raw.Length)
            {
                throw new FuzzContractException("the attribute walk left the message");
            }

            walked = attribute.Offset + StunConstants.AttributeHeaderLength + StunConstants.Pad(attribute.Value.Length);
            message.TryGetAttribute((StunAttributeType)attribute.Type, out ReadOnlySpan<byte> _);
        }

        if (walked != message.Raw.Length)
        {
            throw new FuzzContractException("the attribute walk did not end at the message end");
        }

        Touch(MappedAddressAttribute.TryRead(message, out var address), address);
        Touch(XorMappedAddressAttribute.TryRead(message, out address), address);
        Touch(MappedAddressAttribute.TryRead(message, StunAttributeType.XorMappedAddressLegacy, out address), address);
        Touch(OtherAddressAttribute.TryRead(message, out address), address);
        Touch(ChangedAddressAttribute.TryRead(message, out address), address);
        Touch(ResponseOriginAttribute.TryRead(message, out address), address);
        ChangeRequestAttribute.TryRead(message, out _);
        PaddingAttribute.TryRead(message, out _);
        ResponsePortAttribute.TryRead(message, out _);
        SoftwareAttribute.TryRead(message, out _);
        if (ErrorCodeAttribute.TryRead(message, out int code, out _) && code is < 300 or > 699)
        {
            throw new FuzzContractException("ERROR-CODE out of range: " + code);
        }

        if (UnknownAttributesAttribute.TryRead(message, out var types))
        {
            for (int i = 0; i < UnknownAttributesAttribute.Count(types); i++)
            {
                UnknownAttributesAttribute.Get(types, i);
            }
        }

        MessageIntegrityAttribute.Verify(message, IntegrityKey);
        if (message.TryGetAttribute(StunAttributeType.Fingerprint, out ReadOnlySpan<byte> fingerprint) != message.FingerprintOffset >= 0
            || (message.FingerprintOffset >= 0
                && !FingerprintAttribute.Verify(message.Raw[..message.FingerprintOffset], BinaryPrimitives.ReadUInt32BigEndian(fingerprint))))
        {
            throw new FuzzContractException("FINGERPRINT found but does not verify");
        }
    }

    private static void Touch(bool found, in StunAddress address)
    {
        if (!found)
        {
            return;
        }

        if (address.Family is not (StunAddress.FamilyIPv4 or StunAddress.FamilyIPv6))
        {
            throw new FuzzContractException("an address attribute decoded to family " + address.Family);
        }

        var endPoint = address.ToIPEndPoint();
        if (StunAddress.FromIPEndPoint(endPoint) != address)
        {
            throw new FuzzContractException("an address does not round-trip through IPEndPoint");
        }
    }
}
