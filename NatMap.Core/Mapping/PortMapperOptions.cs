using System.Globalization;
using System.Net;
using System.Net.Sockets;
using NatMap.Forwarding;
using NatMap.Forwarding.Internal;
using NatMap.Gateway;
using NatMap.Internal;
using NatMap.Mapping.Internal;
using NatMap.Sockets.Internal;
using NatMap.Stun;

namespace NatMap.Mapping;

/// <summary>
/// What <see cref="PortMapper.Create"/> builds: protocol, local binding, servers and timers, in the
/// terms of the original natmap's command line (the option letter is given on each member).
/// </summary>
public sealed class PortMapperOptions
{
    private static readonly TimeSpan DefaultRetryDelay = TimeSpan.FromSeconds(5);
    private TimeSpan? _retryDelay;

    /// <summary>The default keep-alive interval for TCP (<c>-k</c>): 30 seconds.</summary>
    public static readonly TimeSpan DefaultTcpKeepAliveInterval = TimeSpan.FromSeconds(30);

    /// <summary>The default keep-alive (STUN check) interval for UDP (<c>-k</c>): 10 seconds.</summary>
    public static readonly TimeSpan DefaultUdpKeepAliveInterval = TimeSpan.FromSeconds(10);

    /// <summary>The HTTP server's port when <see cref="HttpServer"/> names none: 80.</summary>
    public const int DefaultHttpPort = 80;

    /// <summary>The lease asked of the home router when <see cref="GatewayLease"/> is not set: one hour.</summary>
    public static readonly TimeSpan DefaultGatewayLease = TimeSpan.FromHours(1);

    private const string HostPortSyntax = "expected host[:port], [IPv6]:port or an IPv6 address, with a port from 1 to 65535";

    /// <summary>The protocol of the mapping (<c>-u</c> selects UDP). Default TCP.</summary>
    public MappingProtocol Protocol { get; set; } = MappingProtocol.Tcp;

    /// <summary>
    /// The address family: <see cref="AddressFamily.InterNetwork"/> (<c>-4</c>, the default) or
    /// <see cref="AddressFamily.InterNetworkV6"/> (<c>-6</c>).
    /// </summary>
    public AddressFamily AddressFamily { get; set; } = AddressFamily.InterNetwork;

    /// <summary>The local address to bind (<c>-i</c> with an IP address), or <see langword="null"/> for any.</summary>
    public IPAddress? BindAddress { get; set; }

    /// <summary>
    /// The interface to send through (<c>-i</c> with an interface name), set with SO_BINDTODEVICE;
    /// where the OS lacks it, a warning is logged and the option has no effect.
    /// </summary>
    public string? BindInterface { get; set; }

    /// <summary>
    /// The local port or ports to bind (<c>-b</c>). Default: any port the OS picks (kept across
    /// re-setups). A range moves to its next port (or a new random one) when a port cannot be bound
    /// and when the mapping is set up again. A fixed port held by another process without
    /// SO_REUSEPORT is shared with it where possible (Linux 5.6 or later, as root); ports of a range
    /// are skipped instead.
    /// </summary>
    public PortSpec Port { get; set; } = PortSpec.Any;

    /// <summary>
    /// STUN servers (<c>-s</c>, repeatable), tried in order; <see cref="StunServerEndPoint.Parse"/>
    /// reads <c>host[:port]</c> and <c>[v6]:port</c>, with 3478 as the default port. At least one is
    /// required.
    /// </summary>
    public IList<StunServerEndPoint> StunServers { get; } = new List<StunServerEndPoint>();

    /// <summary>
    /// The HTTP server that keeps a TCP mapping alive, as <c>host[:port]</c> (<c>-h</c>); the default
    /// port is 80. Required for TCP, ignored for UDP.
    /// </summary>
    public string? HttpServer { get; set; }

    /// <summary>
    /// The keep-alive interval (<c>-k</c>); <see langword="null"/> for the default of
    /// <see cref="DefaultTcpKeepAliveInterval"/> (TCP) or <see cref="DefaultUdpKeepAliveInterval"/> (UDP).
    /// TCP sends an HTTP <c>HEAD</c> on the keep-alive connection and runs a STUN check over TCP from
    /// the same local port every interval; UDP runs a STUN Binding check every interval.
    /// </summary>
    public TimeSpan? KeepAliveInterval { get; set; }

    /// <summary>
    /// In UDP forward mode, a full STUN check every this many keep-alive intervals (<c>-c</c>); the
    /// intervals in between only send a one-byte keep-alive. Default 10.
    /// </summary>
    public int UdpCheckCycle { get; set; } = 10;

    /// <summary>The firewall mark (SO_MARK, <c>-f</c>) for the mapper's sockets, or <see langword="null"/>.</summary>
    public uint? FirewallMark { get; set; }

    /// <summary>
    /// The TCP congestion control algorithm (TCP_CONGESTION, <c>-C</c>), such as <c>bbr</c>; applied to
    /// the mapper's TCP sockets (and to forwarded connections). Where the OS lacks it, a warning is logged.
    /// </summary>
    public string? CongestionControl { get; set; }

    /// <summary>
    /// The pause before setting the mapping up again after a failure. Default 5 seconds, or
    /// <see cref="KeepAliveInterval"/> when that is shorter: whoever checks every second does not want to
    /// wait five after a fault. The back-off still doubles up to <see cref="MaxRetryDelay"/>.
    /// </summary>
    public TimeSpan RetryDelay
    {
        get => _retryDelay ?? (KeepAliveInterval is { } keepAlive && keepAlive > TimeSpan.Zero && keepAlive < DefaultRetryDelay ? keepAlive : DefaultRetryDelay);
        set => _retryDelay = value;
    }

    /// <summary>
    /// The cap of the back-off: on repeated failures the pause doubles from <see cref="RetryDelay"/>
    /// up to this value, and returns to <see cref="RetryDelay"/> after a success. Default 60 seconds.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The host to forward the mapped port to (<c>-t</c>); forward mode when set. TCP: a forwarder
    /// listens on the mapping's local port (sharing it with SO_REUSEPORT) and is restarted on each new
    /// mapping. UDP: the forwarder takes over the mapping socket; the keep-alive rounds send one byte
    /// from it and a full STUN check runs every <see cref="UdpCheckCycle"/> rounds.
    /// </summary>
    public string? TargetHost { get; set; }

    /// <summary>The port to forward to (<c>-p</c>); 0 means the current public port.</summary>
    public int TargetPort { get; set; }

    /// <summary>
    /// How forward mode carries the traffic (<c>--forward-method</c>): <see cref="ForwardMethod.Relay"/>
    /// (the default, through this process) or <see cref="ForwardMethod.Nftables"/> (destination NAT in
    /// the Linux kernel by an <see cref="NftablesForwarder"/>: the target sees the client's address and
    /// must route its replies back through this host; <see cref="IdleTimeout"/>,
    /// <see cref="MaxConnections"/> do not apply, conntrack's own timeouts do, and
    /// <see cref="CongestionControl"/> applies to the mapper's own sockets only). With nftables the mapper fails at start with a <see cref="NatMapException"/> when
    /// the kernel, libnftables or CAP_NET_ADMIN is missing.
    /// </summary>
    public ForwardMethod ForwardMethod { get; set; } = ForwardMethod.Relay;

    /// <summary>
    /// With <see cref="ForwardMethod.Nftables"/>, masquerade the forwarded traffic towards the target
    /// (<c>--forward-masquerade</c>), for a target with no route back through this host. The target
    /// then sees this host's address, not the client's. Default off.
    /// </summary>
    public bool ForwardMasquerade { get; set; }

    /// <summary>
    /// How long an idle forwarded connection or UDP session is kept (<c>-T</c>). Default 300 seconds.
    /// A relayed TCP connection whose peer is gone (its NAT entry vanished in a re-mapping) is closed
    /// sooner, by TCP keepalive on both of its sockets: probed after twice the
    /// <see cref="EffectiveKeepAliveInterval"/> without a segment (at least 10 s), then every third
    /// of it (1 to 10 s), and closed after 3 unanswered probes: within max(3 × the interval, 13 s),
    /// so 90 s with the TCP default of 30 s (<see cref="Forwarding.TcpForwarderOptions.KeepAliveTime"/>).
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// The most inbound TCP connections held at once in forward mode and by
    /// <see cref="PortMapper.CreateTcpServer"/> (a connection not yet accepted counts); one beyond it
    /// is closed at once. Default 4096, as <see cref="Forwarding.TcpForwarderOptions.MaxConnections"/>.
    /// </summary>
    public int MaxConnections { get; set; } = new Forwarding.TcpForwarderOptions().MaxConnections;

    /// <summary>
    /// Whether and how the home router in front of this host (the inner NAT, behind the ISP's) is
    /// asked to forward the mapped port (<c>--upnp</c>): <see cref="GatewayProtocol.None"/> (the
    /// default) leaves it alone. Otherwise the router is asked to forward its port P to the host's
    /// port P, where P is the bound local port; a router that refuses P or offers another port makes
    /// the mapper move to its next port, as a bind failure does (a fixed port retries with back-off).
    /// The reported mapping still comes from STUN; the router's answer is in
    /// <see cref="MappingChanged.Gateway"/>. The forwarding is renewed at half of the lease granted,
    /// checked every keep-alive interval, and deleted when the mapper stops. IPv4 only.
    /// </summary>
    public GatewayProtocol Gateway { get; set; } = GatewayProtocol.None;

    /// <summary>
    /// The home router's address (<c>--gateway</c>), or <see langword="null"/> for the default route's
    /// gateway of the bound address or interface.
    /// </summary>
    public IPAddress? GatewayAddress { get; set; }

    /// <summary>The lease asked of the home router; default <see cref="DefaultGatewayLease"/> (one hour), at least 1 second.</summary>
    public TimeSpan GatewayLease { get; set; } = DefaultGatewayLease;

    /// <summary>The keep-alive interval in effect: <see cref="KeepAliveInterval"/> or the protocol's default.</summary>
    public TimeSpan EffectiveKeepAliveInterval =>
        KeepAliveInterval ?? (Protocol == MappingProtocol.Tcp ? DefaultTcpKeepAliveInterval : DefaultUdpKeepAliveInterval);

    /// <summary>Checks the options and throws on the first problem found, with a message that says what is wrong.</summary>
    /// <exception cref="ArgumentException">An option is invalid; <see cref="ArgumentException.ParamName"/> is the property's name.</exception>
    public void Validate()
    {
        if (FindProblem() is { } problem)
        {
            ThrowHelper.ThrowInvalidOption(problem.Option, problem.Message);
        }
    }

    /// <summary>The first invalid option (the property's name) and why, or null; the CLI maps the name to its option letter.</summary>
    internal (string Option, string Message)? FindProblem()
    {
        if (Protocol is not (MappingProtocol.Tcp or MappingProtocol.Udp))
        {
            return Invalid(nameof(Protocol), string.Create(CultureInfo.InvariantCulture, $"protocol {(int)Protocol} is unknown: expected TCP or UDP"));
        }

        if (AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            return Invalid(nameof(AddressFamily), string.Create(CultureInfo.InvariantCulture, $"address family {AddressFamily} is not supported: expected InterNetwork (IPv4) or InterNetworkV6 (IPv6)"));
        }

        if (AddressFamilyRules.BindAddressProblem(BindAddress, AddressFamily) is { } bindProblem)
        {
            return Invalid(nameof(BindAddress), bindProblem);
        }

        if (BindInterface is not null && (BindInterface.Length == 0 || BindInterface.Length > 15 || BindInterface.Contains('/', StringComparison.Ordinal) || BindInterface.Any(char.IsWhiteSpace)))
        {
            return Invalid(nameof(BindInterface), $"interface name '{BindInterface}' is invalid: expected 1 to 15 characters without '/' or spaces");
        }

        if (Port.First < 0 || Port.Last > 65535 || Port.Last < Port.First)
        {
            return Invalid(nameof(Port), $"port spec {Port} is invalid");
        }

        if (StunServers.Count == 0)
        {
            return Invalid(nameof(StunServers), "no STUN server given: at least one is required");
        }

        if (StunServers.Contains(null!))
        {
            return Invalid(nameof(StunServers), "the STUN server list contains a null entry");
        }

        if (AddressFamilyRules.ServersProblem(StunServers, AddressFamily) is { } serversProblem)
        {
            return Invalid(nameof(StunServers), serversProblem);
        }

        if (Protocol == MappingProtocol.Tcp)
        {
            if (string.IsNullOrWhiteSpace(HttpServer))
            {
                return Invalid(nameof(HttpServer), "no HTTP server given: TCP mode keeps the mapping alive through one");
            }

            if (!StunServerEndPoint.TryParse(HttpServer, DefaultHttpPort, out var http, out var reason))
            {
                return Invalid(nameof(HttpServer), $"HTTP server '{HttpServer}' is invalid: {HostPortSyntax} ({reason})");
            }

            if (http.Address is { } address && address.AddressFamily != AddressFamily)
            {
                return Invalid(nameof(HttpServer), $"HTTP server '{HttpServer}' is not an {FamilyName(AddressFamily)} address, but the mapper runs over {FamilyName(AddressFamily)}");
            }
        }

        if (KeepAliveInterval is { } interval && (interval <= TimeSpan.Zero || interval.TotalMilliseconds > int.MaxValue))
        {
            return Invalid(nameof(KeepAliveInterval), string.Create(CultureInfo.InvariantCulture, $"keep-alive interval {interval.TotalSeconds} s is invalid: it must be positive and under 24 days"));
        }

        if (UdpCheckCycle < 1)
        {
            return Invalid(nameof(UdpCheckCycle), string.Create(CultureInfo.InvariantCulture, $"UDP check cycle {UdpCheckCycle} is invalid: it must be at least 1"));
        }

        if (CongestionControl is not null && (CongestionControl.Length == 0 || CongestionControl.Length > 15 || !CongestionControl.All(char.IsAsciiLetterOrDigit)))
        {
            return Invalid(nameof(CongestionControl), $"congestion control algorithm '{CongestionControl}' is invalid: expected a name such as bbr or cubic");
        }

        if (RetryDelay <= TimeSpan.Zero || RetryDelay.TotalMilliseconds > int.MaxValue)
        {
            return Invalid(nameof(RetryDelay), string.Create(CultureInfo.InvariantCulture, $"retry delay {RetryDelay.TotalSeconds} s is invalid: it must be positive and under 24 days"));
        }

        if (MaxRetryDelay < RetryDelay || MaxRetryDelay.TotalMilliseconds > int.MaxValue)
        {
            return Invalid(nameof(MaxRetryDelay), string.Create(CultureInfo.InvariantCulture, $"maximum retry delay {MaxRetryDelay.TotalSeconds} s is invalid: it must not be below the retry delay ({RetryDelay.TotalSeconds} s) nor over 24 days"));
        }

        if (TargetPort is < 0 or > 65535)
        {
            return Invalid(nameof(TargetPort), string.Create(CultureInfo.InvariantCulture, $"target port {TargetPort} is out of range: expected 0 (the public port) to 65535"));
        }

        if (MaxConnections < 1)
        {
            return Invalid(nameof(MaxConnections), string.Create(CultureInfo.InvariantCulture, $"connection limit {MaxConnections} is invalid: it must be at least 1"));
        }

        if (IdleTimeout <= TimeSpan.Zero || IdleTimeout.TotalMilliseconds > int.MaxValue)
        {
            return Invalid(nameof(IdleTimeout), string.Create(CultureInfo.InvariantCulture, $"idle timeout {IdleTimeout.TotalSeconds} s is invalid: it must be positive and under 24 days"));
        }

        if (ForwardMethod is not (ForwardMethod.Relay or ForwardMethod.Nftables))
        {
            return Invalid(nameof(ForwardMethod), string.Create(CultureInfo.InvariantCulture, $"forward method {(int)ForwardMethod} is unknown: expected Relay or Nftables"));
        }

        if (ForwardMasquerade && ForwardMethod != ForwardMethod.Nftables)
        {
            return Invalid(nameof(ForwardMasquerade), "masquerade applies to kernel forwarding only: set ForwardMethod to Nftables");
        }

        if (TargetHost is not null)
        {
            const string TargetSyntax = "expected a host name or an IP address (without a port: the port is TargetPort)";
            string? reason = null;
            var kind = string.IsNullOrWhiteSpace(TargetHost)
                ? IPLiteralKind.Invalid
                : IPAddressText.Classify(TargetResolver.Unbracket(TargetHost), out _, out reason);
            if (kind == IPLiteralKind.Invalid || (kind == IPLiteralKind.NotALiteral && Uri.CheckHostName(TargetHost) != UriHostNameType.Dns))
            {
                return Invalid(nameof(TargetHost), reason is null
                    ? $"target host '{TargetHost}' is invalid: {TargetSyntax}"
                    : $"target host '{TargetHost}' is invalid: {reason}; {TargetSyntax}");
            }
        }

        if (Gateway is < GatewayProtocol.None or > GatewayProtocol.Upnp)
        {
            return Invalid(nameof(Gateway), string.Create(CultureInfo.InvariantCulture, $"gateway protocol {(int)Gateway} is unknown: expected None, Auto, Pcp, NatPmp or Upnp"));
        }

        if (Gateway != GatewayProtocol.None && AddressFamily != AddressFamily.InterNetwork)
        {
            return Invalid(nameof(Gateway), "the home router is opened for IPv4 mappings only");
        }

        if (GatewayAddress is { } gateway && (gateway.AddressFamily != AddressFamily.InterNetwork || gateway.Equals(IPAddress.Any) || gateway.Equals(IPAddress.Broadcast)))
        {
            return Invalid(nameof(GatewayAddress), $"gateway address {gateway} is invalid: expected a unicast IPv4 address");
        }

        if (GatewayLease < TimeSpan.FromSeconds(1) || GatewayLease.TotalMilliseconds > int.MaxValue)
        {
            return Invalid(nameof(GatewayLease), string.Create(CultureInfo.InvariantCulture, $"gateway lease {GatewayLease.TotalSeconds} s is invalid: it must be at least 1 s and under 24 days"));
        }

        return null;
    }

    private static (string, string) Invalid(string option, string message) => (option, message);

    private static string FamilyName(AddressFamily family) => AddressFamilyRules.Name(family);
}
