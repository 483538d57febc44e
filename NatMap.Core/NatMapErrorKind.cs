namespace NatMap;

/// <summary>What went wrong, for a <see cref="NatMapException"/>.</summary>
public enum NatMapErrorKind
{
    /// <summary>A STUN server did not answer in time.</summary>
    Timeout = 2,

    /// <summary>A STUN server refused the connection or the network was unreachable.</summary>
    Unreachable = 3,

    /// <summary>A host name could not be resolved to an address of the wanted family.</summary>
    ResolutionFailed = 6,

    /// <summary>No STUN server in the list gave a usable answer.</summary>
    AllServersFailed = 7,

    /// <summary>A local port could not be bound.</summary>
    BindFailed = 8,

    /// <summary>The operating system does not support the requested feature.</summary>
    NotSupported = 9,

    /// <summary>A network operation failed for another reason.</summary>
    NetworkError = 10,

    /// <summary>The process lacks a privilege it needs, such as CAP_NET_ADMIN for nftables forwarding.</summary>
    PermissionDenied = 11,

    /// <summary>No home router answered a port mapping protocol (PCP, NAT-PMP or UPnP IGD), or its answer was malformed.</summary>
    GatewayUnavailable = 12,

    /// <summary>The home router answered, but refused the port forwarding (a conflict, or another error it returned).</summary>
    GatewayRefused = 13,
}
