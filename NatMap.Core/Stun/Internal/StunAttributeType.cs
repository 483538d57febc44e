namespace NatMap.Stun.Internal;

/// <summary>
/// Attribute types the codec knows, RFC 8489 section 18.3 and RFC 5780 section 7. Types below
/// 0x8000 are comprehension-required, the others comprehension-optional (RFC 8489 section 14).
/// </summary>
internal enum StunAttributeType : ushort
{
    /// <summary>MAPPED-ADDRESS, RFC 8489 section 14.1.</summary>
    MappedAddress = 0x0001,

    /// <summary>CHANGE-REQUEST, RFC 5780 section 7.2.</summary>
    ChangeRequest = 0x0003,

    /// <summary>CHANGED-ADDRESS, RFC 3489 section 11.2.3; older servers send it instead of OTHER-ADDRESS.</summary>
    ChangedAddress = 0x0005,

    /// <summary>USERNAME, RFC 8489 section 14.3.</summary>
    Username = 0x0006,

    /// <summary>MESSAGE-INTEGRITY, RFC 8489 section 14.5.</summary>
    MessageIntegrity = 0x0008,

    /// <summary>ERROR-CODE, RFC 8489 section 14.8.</summary>
    ErrorCode = 0x0009,

    /// <summary>UNKNOWN-ATTRIBUTES, RFC 8489 section 14.9.</summary>
    UnknownAttributes = 0x000A,

    /// <summary>MESSAGE-INTEGRITY-SHA256, RFC 8489 section 14.6.</summary>
    MessageIntegritySha256 = 0x001C,

    /// <summary>XOR-MAPPED-ADDRESS, RFC 8489 section 14.2.</summary>
    XorMappedAddress = 0x0020,

    /// <summary>PADDING, RFC 5780 section 7.6.</summary>
    Padding = 0x0026,

    /// <summary>RESPONSE-PORT, RFC 5780 section 7.5.</summary>
    ResponsePort = 0x0027,

    /// <summary>XOR-MAPPED-ADDRESS under its pre-RFC number, sent by servers built from early drafts.</summary>
    XorMappedAddressLegacy = 0x8020,

    /// <summary>SOFTWARE, RFC 8489 section 14.14.</summary>
    Software = 0x8022,

    /// <summary>FINGERPRINT, RFC 8489 section 14.7.</summary>
    Fingerprint = 0x8028,

    /// <summary>RESPONSE-ORIGIN, RFC 5780 section 7.3.</summary>
    ResponseOrigin = 0x802B,

    /// <summary>OTHER-ADDRESS, RFC 5780 section 7.4.</summary>
    OtherAddress = 0x802C,
}
