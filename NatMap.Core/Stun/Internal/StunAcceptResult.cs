namespace NatMap.Stun.Internal;

/// <summary>What <c>StunBindingTransaction.Accept</c> made of a datagram.</summary>
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
    /// or an error without a valid ERROR-CODE. Discarded; the transaction keeps waiting (RFC 8489
    /// section 6.3), and the reason says which check failed.
    /// </summary>
    Malformed,

    /// <summary>
    /// A well-formed response to this transaction with an unknown comprehension-required attribute:
    /// RFC 8489 sections 6.3.3 and 6.3.4 make this a failed transaction.
    /// </summary>
    UnknownRequiredAttribute,
}
