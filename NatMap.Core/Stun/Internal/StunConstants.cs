namespace NatMap.Stun.Internal;

/// <summary>Fixed numbers of the STUN wire format, RFC 8489 sections 5 and 14.</summary>
internal static class StunConstants
{
    /// <summary>Length of the fixed message header, RFC 8489 section 5.</summary>
    public const int HeaderLength = 20;

    /// <summary>The magic cookie, RFC 8489 section 5; it tells RFC 5389+ messages from RFC 3489 ones.</summary>
    public const uint MagicCookie = 0x2112A442;

    /// <summary>Length of the transaction id, RFC 8489 section 5.</summary>
    public const int TransactionIdLength = 12;

    /// <summary>Length of an attribute's type and length fields, RFC 8489 section 14.</summary>
    public const int AttributeHeaderLength = 4;

    /// <summary>XORed into the CRC-32 of FINGERPRINT, RFC 8489 section 14.7.</summary>
    public const uint FingerprintXor = 0x5354554E;

    /// <summary>
    /// Largest message the codec builds or expects: the header length field is 16 bits, so a STUN
    /// message can never exceed this.
    /// </summary>
    public const int MaxMessageLength = HeaderLength + 0xFFFC;

    /// <summary>
    /// Enough for any Binding response a server sends over UDP; RFC 8489 section 6.1 asks for
    /// messages below the path MTU (548 bytes when unknown over IPv4), so 2 KiB leaves room.
    /// </summary>
    public const int ReceiveBufferLength = 2048;

    /// <summary>Rounds an attribute value length up to the 32-bit boundary, RFC 8489 section 14.</summary>
    public static int Pad(int length) => (length + 3) & ~3;
}
