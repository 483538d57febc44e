namespace NatMap.Diagnostics;

/// <summary>
/// Names of the metrics NatMap.Core publishes through <see cref="System.Diagnostics.Metrics"/>: one
/// meter, <see cref="MeterName"/>, whose instruments and tags are listed here. Collect them with any
/// metrics listener, for example <c>dotnet-counters monitor --counters NatMap</c> or an OpenTelemetry
/// meter provider configured with <c>AddMeter("NatMap")</c>.
/// </summary>
/// <remarks>
/// Tag values are lower case. <see cref="ProtocolTag"/> is <c>tcp</c> or <c>udp</c>. Forwarder
/// instruments are observed from the counters of every started and not yet stopped
/// <see cref="Forwarding.TcpForwarder"/> and <see cref="Forwarding.UdpForwarder"/>, one series per
/// protocol and listening port; the totals of a stopped forwarder are kept, so a forwarder started
/// again on the same port goes on counting from them.
/// </remarks>
public static class NatMapMetrics
{
    /// <summary>The name of the meter: <c>NatMap</c>.</summary>
    public const string MeterName = "NatMap";

    /// <summary>
    /// <c>natmap.mapping.changes</c>: counter of public mappings reported by a port mapper (the first
    /// one and every change). Tags: <see cref="ProtocolTag"/>, <see cref="LocalPortTag"/> (the
    /// mapping's private port).
    /// </summary>
    public const string MappingChanges = "natmap.mapping.changes";

    /// <summary>
    /// <c>natmap.stun.transactions</c>: counter of STUN Binding transactions with one server
    /// address, by result. Tags: <see cref="ProtocolTag"/>, <see cref="OutcomeTag"/> (<c>success</c>,
    /// <c>timeout</c>, <c>error_response</c>, <c>malformed</c>, <c>unreachable</c>),
    /// <see cref="ServerAddressTag"/>, <see cref="ServerPortTag"/>.
    /// </summary>
    public const string StunTransactions = "natmap.stun.transactions";

    /// <summary>
    /// <c>natmap.stun.duration</c>: histogram of the time, in seconds, that successful STUN Binding
    /// transactions took, retransmissions included. Tags: <see cref="ProtocolTag"/>,
    /// <see cref="ServerAddressTag"/>, <see cref="ServerPortTag"/>.
    /// </summary>
    public const string StunDuration = "natmap.stun.duration";

    /// <summary>
    /// <c>natmap.stun.discarded</c>: counter of messages that reached a waiting STUN transaction and
    /// were discarded as RFC 8489 section 6.3 says, by reason: a steady count on a quiet network
    /// points at a broken server, a middlebox or an attacker. Tags: <see cref="ProtocolTag"/>,
    /// <see cref="ReasonTag"/> (<c>not_stun</c>, <c>other_transaction</c>, <c>truncated</c>,
    /// <c>bad_length</c>, <c>attribute_overflow</c>, <c>bad_fingerprint</c>, <c>not_response</c>,
    /// <c>other_method</c>, <c>no_mapped_address</c>, <c>bad_error_code</c>, <c>other_source</c>),
    /// <see cref="ServerAddressTag"/> and <see cref="ServerPortTag"/> (the address the transaction
    /// waited on).
    /// </summary>
    public const string StunDiscarded = "natmap.stun.discarded";

    /// <summary>
    /// <c>natmap.forward.connections.active</c>: observable up-down counter of the TCP connections
    /// and UDP sessions a forwarder relays now. Tags: <see cref="ProtocolTag"/>, <see cref="LocalPortTag"/>.
    /// </summary>
    public const string ForwardConnectionsActive = "natmap.forward.connections.active";

    /// <summary>
    /// <c>natmap.forward.connections</c>: observable counter of the TCP connections and UDP
    /// sessions a forwarder was offered, by result. Tags: <see cref="ProtocolTag"/>,
    /// <see cref="LocalPortTag"/>, <see cref="OutcomeTag"/> (<c>accepted</c>; <c>refused</c> at the
    /// connection or session limit, counted per datagram for UDP; <c>failed</c>, TCP only, when the
    /// target could not be resolved or reached).
    /// </summary>
    public const string ForwardConnections = "natmap.forward.connections";

    /// <summary>
    /// <c>natmap.forward.bytes</c>: observable counter of the payload bytes a forwarder relayed.
    /// Tags: <see cref="ProtocolTag"/>, <see cref="LocalPortTag"/>, <see cref="DirectionTag"/>
    /// (<c>to_target</c>, <c>from_target</c>).
    /// </summary>
    public const string ForwardBytes = "natmap.forward.bytes";

    /// <summary>
    /// <c>natmap.notify.deliveries</c>: counter of mapping changes handed to a built-in notifier
    /// (<see cref="Notify.MappingNotifier"/>), by how each ended. Tags: <see cref="NotifierTag"/>,
    /// <see cref="OutcomeTag"/> (<c>delivered</c>; <c>failed</c> after the last attempt;
    /// <c>superseded</c> when a newer change replaced it first).
    /// </summary>
    public const string NotifyDeliveries = "natmap.notify.deliveries";

    /// <summary>
    /// <c>natmap.notify.errors</c>: counter of failed attempts of built-in notifiers, retried ones
    /// included. Tags: <see cref="NotifierTag"/>.
    /// </summary>
    public const string NotifyErrors = "natmap.notify.errors";

    /// <summary>
    /// Tag <c>forward.method</c> of the forwarder instruments: <c>relay</c> (<see cref="Forwarding.TcpForwarder"/>,
    /// <see cref="Forwarding.UdpForwarder"/>) or <c>nftables</c> (<see cref="Forwarding.NftablesForwarder"/>,
    /// whose figures are read from its rule counters: flows forwarded as <c>accepted</c>, IP bytes
    /// including headers, and no active count).
    /// </summary>
    public const string ForwardMethodTag = "forward.method";

    /// <summary>
    /// <c>natmap.gateway.requests</c>: counter of requests to the home router that opens the inner NAT
    /// layer (<see cref="Mapping.PortMapperOptions.Gateway"/>). Tags: <see cref="GatewayProtocolTag"/>,
    /// <see cref="OperationTag"/> (<c>map</c>: the first request for a port; <c>renew</c>: a renewal at
    /// half the lease, or the PCP and NAT-PMP check; <c>check</c>: a UPnP GetSpecificPortMappingEntry;
    /// <c>delete</c>), <see cref="OutcomeTag"/> (<c>success</c>; <c>refused</c>: an error result or
    /// another port offered; <c>lost</c>: a check found the mapping gone; <c>failed</c>: no answer or a
    /// malformed one).
    /// </summary>
    public const string GatewayRequests = "natmap.gateway.requests";

    /// <summary>Tag <c>gateway.protocol</c>: <c>pcp</c>, <c>nat-pmp</c> or <c>upnp</c>.</summary>
    public const string GatewayProtocolTag = "gateway.protocol";

    /// <summary>Tag <c>operation</c>: what a request to the home router did.</summary>
    public const string OperationTag = "operation";

    /// <summary>Tag <c>protocol</c>: the transport, <c>tcp</c> or <c>udp</c>.</summary>
    public const string ProtocolTag = "protocol";

    /// <summary>Tag <c>outcome</c>: how a transaction or a connection ended.</summary>
    public const string OutcomeTag = "outcome";

    /// <summary>Tag <c>reason</c>: why a message was discarded.</summary>
    public const string ReasonTag = "reason";

    /// <summary>Tag <c>direction</c>: <c>to_target</c> or <c>from_target</c>.</summary>
    public const string DirectionTag = "direction";

    /// <summary>Tag <c>local.port</c>: the local port of a mapping or the listening port of a forwarder (an integer).</summary>
    public const string LocalPortTag = "local.port";

    /// <summary>Tag <c>notifier</c>: the kind of a built-in notifier: <c>webhook</c>, <c>nsupdate</c>, <c>transmission</c>, <c>qbittorrent</c>.</summary>
    public const string NotifierTag = "notifier";

    /// <summary>Tag <c>server.address</c>: a STUN server as configured (host name or address literal).</summary>
    public const string ServerAddressTag = "server.address";

    /// <summary>Tag <c>server.port</c>: a STUN server's port (an integer).</summary>
    public const string ServerPortTag = "server.port";
}
