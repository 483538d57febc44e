using System.Buffers.Binary;

namespace NatMap.Stun.Internal;

/// <summary>
/// MAPPED-ADDRESS, RFC 8489 section 14.1: one reserved byte, the family (0x01 IPv4, 0x02 IPv6),
/// the port and the 4 or 16 address bytes, all in clear. RESPONSE-ORIGIN, OTHER-ADDRESS and
/// CHANGED-ADDRESS share this layout and use <see cref="TryDecode"/> and <see cref="Write"/>.
/// </summary>
internal static class MappedAddressAttribute
{
    /// <summary>Value length of an IPv4 address attribute.</summary>
    public const int IPv4Length = 8;

    /// <summary>Value length of an IPv6 address attribute.</summary>
    public const int IPv6Length = 20;

    /// <summary>Reads MAPPED-ADDRESS from a parsed message.</summary>
    public static bool TryRead(in StunMessage message, out StunAddress address) =>
        TryRead(message, StunAttributeType.MappedAddress, out address);

    /// <summary>Reads any attribute with the MAPPED-ADDRESS layout.</summary>
    public static bool TryRead(in StunMessage message, StunAttributeType type, out StunAddress address)
    {
        address = default;
        return message.TryGetAttribute(type, out ReadOnlySpan<byte> value) && TryDecode(value, out address);
    }

    /// <summary>
    /// Decodes the value. Refuses an unknown family and a length that does not match the family
    /// (8 bytes for IPv4, 20 for IPv6). The first byte is ignored, as RFC 8489 section 14.1 asks.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> value, out StunAddress address)
    {
        address = default;
        if (value.Length < 4)
        {
            return false;
        }

        byte family = value[1];
        int expected = family switch
        {
            StunAddress.FamilyIPv4 => IPv4Length,
            StunAddress.FamilyIPv6 => IPv6Length,
            _ => -1,
        };
        if (value.Length != expected)
        {
            return false;
        }

        address = StunAddress.Create(family, BinaryPrimitives.ReadUInt16BigEndian(value[2..]), value[4..]);
        return true;
    }

    /// <summary>Appends an attribute of <paramref name="type"/> with the MAPPED-ADDRESS layout.</summary>
    public static bool Write(ref StunMessageWriter writer, StunAttributeType type, in StunAddress address)
    {
        if (address.Family is not (StunAddress.FamilyIPv4 or StunAddress.FamilyIPv6))
        {
            return false;
        }

        if (!writer.TryAppendAttribute(type, 4 + address.AddressLength, out Span<byte> value))
        {
            return false;
        }

        value[0] = 0;
        value[1] = address.Family;
        BinaryPrimitives.WriteUInt16BigEndian(value[2..], address.Port);
        address.WriteAddress(value[4..]);
        return true;
    }
}
