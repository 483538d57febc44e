using System.Buffers.Binary;

namespace NatMap.Stun.Internal;

/// <summary>
/// A validated view of one STUN message inside the caller's buffer (nothing is copied). Build it
/// with <see cref="TryParse"/>, which checks the whole framing once; attribute readers then only
/// look values up.
/// </summary>
internal readonly ref struct StunMessage
{
    private readonly int _lookupEnd;

    private StunMessage(ReadOnlySpan<byte> raw, StunHeader header, int lookupEnd, int fingerprintOffset)
    {
        Raw = raw;
        Header = header;
        _lookupEnd = lookupEnd;
        FingerprintOffset = fingerprintOffset;
    }

    /// <summary>The whole message, header included.</summary>
    public ReadOnlySpan<byte> Raw { get; }

    /// <summary>The parsed header.</summary>
    public StunHeader Header { get; }

    /// <summary>Offset of the FINGERPRINT attribute (already verified), or -1 when there is none.</summary>
    public int FingerprintOffset { get; }

    /// <summary>
    /// Parses and validates a complete message. Refuses (RFC 8489 sections 5, 14 and 14.7):
    /// truncation at any length, non-zero leading bits, a wrong cookie, a length that is not a
    /// multiple of 4 or that disagrees with the buffer, an attribute running past the end (so also
    /// missing padding), an attribute after FINGERPRINT, and a FINGERPRINT whose CRC does not
    /// match. The content of padding bytes is not checked: RFC 8489 section 14 says receivers
    /// ignore it, and the RFC 5769 vectors pad with spaces. Allocates nothing.
    /// </summary>
    public static StunParseError TryParse(ReadOnlySpan<byte> datagram, out StunMessage message)
    {
        message = default;
        var error = StunHeader.TryRead(datagram, out var header);
        if (error != StunParseError.None)
        {
            return error;
        }

        int total = StunConstants.HeaderLength + header.Length;
        if (datagram.Length < total)
        {
            return StunParseError.Truncated;
        }

        if (datagram.Length > total)
        {
            return StunParseError.TrailingData;
        }

        int offset = StunConstants.HeaderLength;
        int lookupEnd = total;
        int fingerprintOffset = -1;
        bool integritySeen = false;
        while (offset < total)
        {
            // The length is a multiple of 4, so at least a full attribute header remains here.
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(datagram[offset..]);
            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(datagram[(offset + 2)..]);
            int valueStart = offset + StunConstants.AttributeHeaderLength;
            if (valueLength > total - valueStart)
            {
                return StunParseError.AttributeOverflow;
            }

            // Because the message length is a multiple of 4, a value that fits has room for its
            // padding too: a sender that leaves padding out shows up as BadLength or as an
            // overflowing attribute where the next one should start.
            if (type == (ushort)StunAttributeType.Fingerprint)
            {
                if (valueStart + StunConstants.Pad(valueLength) != total)
                {
                    return StunParseError.FingerprintNotLast;
                }

                if (valueLength != 4 || !FingerprintAttribute.Verify(datagram[..offset], BinaryPrimitives.ReadUInt32BigEndian(datagram[valueStart..])))
                {
                    return StunParseError.BadFingerprint;
                }

                fingerprintOffset = offset;
            }
            else if (integritySeen && type != (ushort)StunAttributeType.MessageIntegritySha256)
            {
                // RFC 8489 section 14.5: attributes after MESSAGE-INTEGRITY, other than
                // MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, are ignored.
                lookupEnd = Math.Min(lookupEnd, offset);
            }
            else if (type == (ushort)StunAttributeType.MessageIntegrity)
            {
                integritySeen = true;
            }

            offset = valueStart + StunConstants.Pad(valueLength);
        }

        if (fingerprintOffset >= 0)
        {
            lookupEnd = Math.Min(lookupEnd, fingerprintOffset);
        }

        message = new StunMessage(datagram[..total], header, lookupEnd, fingerprintOffset);
        return StunParseError.None;
    }

    /// <summary>The attributes in wire order, FINGERPRINT included.</summary>
    public StunAttributeEnumerator GetAttributes() => new(Raw);

    /// <summary>
    /// Finds the first attribute of <paramref name="type"/> (RFC 8489 section 14: only the first of
    /// duplicates counts). Attributes that RFC 8489 section 14.5 says to ignore after
    /// MESSAGE-INTEGRITY are not found; FINGERPRINT is found through <see cref="FingerprintOffset"/>.
    /// </summary>
    public bool TryGetAttribute(StunAttributeType type, out StunAttribute attribute)
    {
        int offset = StunConstants.HeaderLength;
        ReadOnlySpan<byte> raw = Raw;
        while (offset < _lookupEnd)
        {
            ushort t = BinaryPrimitives.ReadUInt16BigEndian(raw[offset..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(raw[(offset + 2)..]);
            if (t == (ushort)type)
            {
                attribute = new StunAttribute(t, offset, raw.Slice(offset + StunConstants.AttributeHeaderLength, length));
                return true;
            }

            offset += StunConstants.AttributeHeaderLength + StunConstants.Pad(length);
        }

        if (type == StunAttributeType.Fingerprint && FingerprintOffset >= 0)
        {
            attribute = new StunAttribute(t: (ushort)type, FingerprintOffset, raw.Slice(FingerprintOffset + StunConstants.AttributeHeaderLength, 4));
            return true;
        }

        attribute = default;
        return false;
    }

    /// <summary>Finds the first attribute of <paramref name="type"/> and returns its value.</summary>
    public bool TryGetAttribute(StunAttributeType type, out ReadOnlySpan<byte> value)
    {
        if (TryGetAttribute(type, out StunAttribute attribute))
        {
            value = attribute.Value;
            return true;
        }

        value = default;
        return false;
    }
}
