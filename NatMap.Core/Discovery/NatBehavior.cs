namespace NatMap.Discovery;

/// <summary>
/// A NAT's mapping (RFC 5780 section 4.3) or filtering (section 4.4) behaviour, or why it could
/// not be told.
/// </summary>
public enum NatBehavior
{
    /// <summary>The tests ran but could not decide (for example a test went unanswered).</summary>
    Unknown = 0,

    /// <summary>No NAT: the server saw the local address and port unchanged (mapping only).</summary>
    Direct = 1,

    /// <summary>Endpoint-independent: one mapping, or one open pinhole, for every remote endpoint.</summary>
    EndpointIndependent = 2,

    /// <summary>Address-dependent: depends on the remote IP address but not its port.</summary>
    AddressDependent = 3,

    /// <summary>Address-and-port-dependent: depends on the remote IP address and port.</summary>
    AddressAndPortDependent = 4,

    /// <summary>
    /// The server cannot tell: it sent no OTHER-ADDRESS, or answered a CHANGE-REQUEST with error
    /// 420, or did not honour the change. This says nothing about the NAT.
    /// </summary>
    UnsupportedServer = 5,

    /// <summary>Not tested: filtering is a UDP notion in RFC 5780, so it is not measured over TCP.</summary>
    NotApplicable = 6,
}
