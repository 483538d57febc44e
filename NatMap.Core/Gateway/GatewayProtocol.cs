namespace NatMap.Gateway;

/// <summary>Which protocol opens the port on the home router (the inner NAT) in front of the host.</summary>
public enum GatewayProtocol
{
    /// <summary>None: the home router is left alone (natmap's behaviour).</summary>
    None = 0,

    /// <summary>PCP, then NAT-PMP, then UPnP IGD: the first that answers is used.</summary>
    Auto = 1,

    /// <summary>The Port Control Protocol, RFC 6887 (MAP opcode).</summary>
    Pcp = 2,

    /// <summary>NAT Port Mapping Protocol, RFC 6886.</summary>
    NatPmp = 3,

    /// <summary>UPnP Internet Gateway Device, WANIPConnection or WANPPPConnection (v1 or v2).</summary>
    Upnp = 4,
}
