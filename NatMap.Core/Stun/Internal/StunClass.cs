namespace NatMap.Stun.Internal;

/// <summary>The class bits (C1, C0) of a STUN message type, RFC 8489 section 5.</summary>
internal enum StunClass
{
    /// <summary>0b00: a request.</summary>
    Request = 0,

    /// <summary>0b01: an indication.</summary>
    Indication = 1,

    /// <summary>0b10: a success response.</summary>
    SuccessResponse = 2,

    /// <summary>0b11: an error response.</summary>
    ErrorResponse = 3,
}
