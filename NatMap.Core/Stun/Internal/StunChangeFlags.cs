namespace NatMap.Stun.Internal;

/// <summary>The flags of CHANGE-REQUEST, RFC 5780 section 7.2.</summary>
[Flags]
internal enum StunChangeFlags
{
    /// <summary>Answer from the address and port the request reached.</summary>
    None = 0,

    /// <summary>Flag B (0x02): answer from the alternate port.</summary>
    ChangePort = 0x02,

    /// <summary>Flag A (0x04): answer from the alternate IP address.</summary>
    ChangeIP = 0x04,
}
