using System.Buffers.Binary;

namespace NatMap.Stun.Internal;

/// <summary>
/// XOR-MAPPED-ADDRESS, RFC 8489 section 14.2: the MAPPED-ADDRESS layout with the port XORed with
/// the top 16 bits of the magic cookie and the address XORed with the cookie (IPv4) or with the
/// cookie followed by the transaction id (IPv6). Read under 0x0020 and, for servers built from
/// pre-RFC drafts, 0x8020.
/// </summary>
internal static class XorMappedAddressAttribute
{
    /// <summary>
    /// Reads XOR-MAPPED-ADDRESS (0x0020, else the pre-RFC 0x8020) from a parsed message.
    /// </summary>
    public static bool TryRead(in StunMessage message, out StunAddress address)
    {
        address = default;
        if (message.TryGetAttribute(StunAttributeType.XorMappedAddress, out ReadOnlySpan<byte> value)
            || message.TryGetAttribute(StunAttributeType.XorMappedAddressLegacy, out value))
        {
            return TryDecode(value, message.Raw.Slice(4, 16), out address);
        }

        return false;
    }

    /// <summary>
    /// Decodes a value. <paramref name="cookieAndTransactionId"/> is bytes 4-19 of the message header.
    /// Refuses an unknown family and a wrong length for the family.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> value, ReadOnlySpan<byte> cookieAndTransactionId, out StunAddress address)
    {
        if (!MappedAddressAttribute.TryDecode(value, out var xored))
        {
            address = default;
            return false;
        }

        address = Xor(xored, cookieAndTransactionId);
        return true;
    }

    /// <summary>Appends XOR-MAPPED-ADDRESS (0x0020) for <paramref name="address"/>.</summary>
    public static bool Write(ref StunMessageWriter writer, in StunAddress address) =>
        !writer.Overflowed && MappedAddressAttribute.Write(ref writer, StunAttributeType.XorMappedAddress, Xor(address, writer.CookieAndTransactionId));

    private static StunAddress Xor(in StunAddress address, ReadOnlySpan<byte> cookieAndTransactionId)
    {
        // RFC 8489 section 14.2: IPv4 is XORed with the cookie; IPv6 with the cookie followed by
        // the transaction id, i.e. exactly header bytes 4-19.
        ulong high = BinaryPrimitives.ReadUInt64BigEndian(cookieAndTransactionId);
        ulong low = BinaryPrimitives.ReadUInt64BigEndian(cookieAndTransactionId[8..]);
        return address.Family == StunAddress.FamilyIPv4
            ? address.Xor((ushort)(StunConstants.MagicCookie >> 16), 0, StunConstants.MagicCookie)
            : address.Xor((ushort)(StunConstants.MagicCookie >> 16), high, low);
    }
}
