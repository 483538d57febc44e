using System.Net;

namespace NatMap.Forwarding;

/// <summary>What a <see cref="NftablesForwarder"/> installs: which inbound packets, towards which target.</summary>
public sealed class NftablesForwarderOptions
{
    /// <summary>The protocol forwarded. Default TCP.</summary>
    public MappingProtocol Protocol { get; set; } = MappingProtocol.Tcp;

    /// <summary>
    /// The local address and port the inbound packets arrive on (a mapping's private endpoint). The
    /// port names the table; the address, unless it is a wildcard, narrows the rule to packets sent
    /// to it. Its family selects IPv4 or IPv6.
    /// </summary>
    public IPEndPoint? LocalEndPoint { get; set; }

    /// <summary>
    /// The target. An address of another host is reached by DNAT with the client's address kept,
    /// so that host must route its replies back through this one (or set <see cref="Masquerade"/>).
    /// The wildcard (<c>0.0.0.0</c>, <c>::</c>) means a service of this host listening on all
    /// addresses, reached by <c>redirect</c>. An IPv4 loopback address reaches a service bound to
    /// loopback only: this sets <c>route_localnet</c> on <see cref="IngressInterface"/> while the
    /// forwarder runs, which lets that link reach 127.0.0.0/8. IPv6 has no such switch, so
    /// <c>::1</c> is treated as the wildcard.
    /// </summary>
    public IPEndPoint? Target { get; set; }

    /// <summary>
    /// Masquerade forwarded connections towards the target, for a target with no route back. The
    /// target then sees this host's address instead of the client's. Default off.
    /// </summary>
    public bool Masquerade { get; set; }

    /// <summary>
    /// The interface the inbound packets arrive on, for <c>route_localnet</c> with a loopback
    /// target; <see langword="null"/> finds the one that holds <see cref="LocalEndPoint"/>'s address.
    /// </summary>
    public string? IngressInterface { get; set; }

    /// <summary>
    /// Peers whose packets are never forwarded (address and source port): the mapper's STUN and
    /// keep-alive servers. Once the conntrack entry of the mapper's own flow expires, a late reply
    /// from one of them would otherwise be forwarded to the target, and the mapper's next packet
    /// would be given a new source port, moving the public port.
    /// </summary>
    public IList<IPEndPoint> ExcludedPeers { get; } = new List<IPEndPoint>();
}
