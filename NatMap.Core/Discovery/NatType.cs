namespace NatMap.Discovery;

/// <summary>The classic (RFC 3489) name for a pair of mapping and filtering behaviours.</summary>
public enum NatType
{
    /// <summary>The behaviours do not name a classic type (one of them is unknown or untested).</summary>
    Unknown = 0,

    /// <summary>No NAT: the public endpoint is the local endpoint.</summary>
    Open = 1,

    /// <summary>Endpoint-independent mapping and filtering: anyone can reach the mapping.</summary>
    FullCone = 2,

    /// <summary>Endpoint-independent mapping, address-dependent filtering.</summary>
    RestrictedCone = 3,

    /// <summary>Endpoint-independent mapping, address-and-port-dependent filtering.</summary>
    PortRestrictedCone = 4,

    /// <summary>Address-dependent or address-and-port-dependent mapping: each peer sees another public endpoint.</summary>
    Symmetric = 5,
}
