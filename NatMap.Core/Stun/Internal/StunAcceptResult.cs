namespace NatMap.Stun.Internal;

/// <summary>What <see cref="StunBindingTransaction.Accept"/> made of a datagram.</summary>
internal enum StunAcceptResult
{
    /// <summary>A valid Binding success response to this transaction, with a mapped address.</summary>
    Success = 0,

    /// <summary>A valid Binding error response to this transaction; see <see cref="StunBindingResponse.ErrorCode"/>.</summary>
    ErrorResponse,

    /// <summary>
    /// Not a STUN message at all (too short, leading bits set or no magic cookie). A forwarder can
    /// treat the datagram as ordinary traffic; a client keeps waiting.
    /// </summary>
    NotStun,

    /// <summary>A well-formed STUN message for another transaction; keep waiting.</summary>
    TransactionMismatch,

    /// <summary>
    /// Looks like STUN and carries this transaction's id but is broken: bad framing or fingerprint,
    /// a class that is not a response, another method, a success without a usable mapped address,
    /// an error without a valid ERROR-CODE, or an unknown comprehension-required attribute.
    /// </summary>
    Malformed,
}
