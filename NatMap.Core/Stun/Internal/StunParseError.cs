namespace NatMap.Stun.Internal;

/// <summary>Why the codec refused a message. Bad network input is a result, never an exception.</summary>
internal enum StunParseError
{
    /// <summary>The message is well formed.</summary>
    None = 0,

    /// <summary>Fewer bytes than the header, or than the header's length field announces.</summary>
    Truncated,

    /// <summary>The first two bits are not zero (RFC 8489 section 5), so this is not STUN.</summary>
    NotStun,

    /// <summary>The magic cookie is not 0x2112A442 (RFC 8489 section 5).</summary>
    BadCookie,

    /// <summary>The length field is not a multiple of 4 (RFC 8489 section 5).</summary>
    BadLength,

    /// <summary>Bytes follow the message that the length field does not count.</summary>
    TrailingData,

    /// <summary>An attribute's value runs past the end of the message (RFC 8489 section 14).</summary>
    AttributeOverflow,

    /// <summary>An attribute follows FINGERPRINT, which must be last (RFC 8489 section 14.7).</summary>
    FingerprintNotLast,

    /// <summary>FINGERPRINT is not 4 bytes or its CRC does not match (RFC 8489 section 14.7).</summary>
    BadFingerprint,
}
