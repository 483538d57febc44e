namespace NatMap.Stun.Internal;

/// <summary>
/// Why a datagram or TCP frame that reached a waiting transaction was not its answer. RFC 8489
/// section 6.3 has a client discard such a message silently and go on waiting; the reasons are
/// counted so that a transaction that then times out can say what it threw away.
/// </summary>
internal enum StunDiscardReason
{
    /// <summary>Nothing was discarded: the message was the answer.</summary>
    None = 0,

    /// <summary>Not STUN at all: too short for a header, leading bits set or no magic cookie (RFC 8489 section 5).</summary>
    NotStun,

    /// <summary>A well-framed STUN message that carries another transaction id.</summary>
    OtherTransaction,

    /// <summary>Shorter than its header's length field announces.</summary>
    Truncated,

    /// <summary>A length field that is not a multiple of 4, or bytes after the message it does not count.</summary>
    BadLength,

    /// <summary>An attribute whose value runs past the end of the message.</summary>
    AttributeOverflow,

    /// <summary>FINGERPRINT that is not last, not 4 bytes, or whose CRC does not match (RFC 8489 section 14.7).</summary>
    BadFingerprint,

    /// <summary>A request or an indication, not a response.</summary>
    NotResponse,

    /// <summary>A response to a method other than Binding.</summary>
    OtherMethod,

    /// <summary>A success response without a readable XOR-MAPPED-ADDRESS or MAPPED-ADDRESS.</summary>
    NoMappedAddress,

    /// <summary>An error response without a readable ERROR-CODE.</summary>
    BadErrorCode,

    /// <summary>A datagram from an address other than the server's.</summary>
    OtherSource,
}
