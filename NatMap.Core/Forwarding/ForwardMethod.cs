namespace NatMap.Forwarding;

/// <summary>How forward mode (<see cref="Mapping.PortMapperOptions.TargetHost"/>) carries the mapped port's traffic to the target.</summary>
public enum ForwardMethod
{
    /// <summary>
    /// A relay in this process: <see cref="TcpForwarder"/> and <see cref="UdpForwarder"/>. Works
    /// everywhere without privileges; the target sees connections from this host.
    /// </summary>
    Relay = 0,

    /// <summary>
    /// Destination NAT in the Linux kernel, by <see cref="NftablesForwarder"/>: line rate, and the
    /// target sees the client's own address. Needs Linux, nftables, libnftables and CAP_NET_ADMIN.
    /// </summary>
    Nftables = 1,
}
