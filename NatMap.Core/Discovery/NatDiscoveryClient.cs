using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NatMap.Discovery.Internal;
using NatMap.Internal;
using NatMap.Sockets.Internal;
using NatMap.Stun.Internal;

namespace NatMap.Discovery;

/// <summary>
/// Runs <see cref="NatBehaviorDiscovery"/> over real sockets: the UDP mapping, filtering and
/// optional hairpinning tests, the TCP mapping test, and the optional UDP binding lifetime
/// estimate (RFC 5780 sections 4.3 to 4.6).
/// </summary>
/// <example>
/// Classify the NAT from local port 5555 with a server that has a second address (RFC 5780):
/// <code>
/// var options = new NatDiscoveryOptions { Port = 5555, TestHairpinning = true };
/// options.StunServers.Add(StunServerEndPoint.Parse("stun.example.org"));
/// NatDiscoveryReport report = await new NatDiscoveryClient(options).RunAsync(cancellationToken);
/// Console.WriteLine("UDP: " + report.Udp?.NatType + ", TCP mapping: " + report.Tcp?.Mapping);
/// </code>
/// </example>
public sealed partial class NatDiscoveryClient
{
    private static readonly TimeSpan FirstRetransmit = TimeSpan.FromMilliseconds(250);

    private readonly NatDiscoveryOptions _options;
    private readonly ILogger _logger;
    private readonly BoundSocketFactory _sockets;

    /// <summary>Creates a client; nothing is sent until <see cref="RunAsync"/>.</summary>
    /// <param name="options">What to test; read when <see cref="RunAsync"/> starts.</param>
    /// <param name="loggerFactory">Logging, or null for none.</param>
    /// <exception cref="ArgumentException">An option is invalid; <see cref="ArgumentException.ParamName"/> names it.</exception>
    public NatDiscoveryClient(NatDiscoveryOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.StunServers.Count == 0)
        {
            ThrowHelper.ThrowInvalidOption(nameof(NatDiscoveryOptions.StunServers), "At least one STUN server is required.");
        }

        if (options.Port is < 0 or > IPEndPoint.MaxPort)
        {
            ThrowHelper.ThrowOptionOutOfRange(nameof(NatDiscoveryOptions.Port), "Port must be 0 (any) to 65535.");
        }

        if (options.AddressFamily is not (AddressFamily.Unspecified or AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            ThrowHelper.ThrowOptionOutOfRange(nameof(NatDiscoveryOptions.AddressFamily), "AddressFamily must be InterNetwork, InterNetworkV6 or Unspecified.");
        }

        // A named family must fit the bind address and at least one server, or resolving would fail later.
        if (options.AddressFamily != AddressFamily.Unspecified && Mapping.Internal.AddressFamilyRules.BindAddressProblem(options.BindAddress, options.AddressFamily) is { } bindProblem)
        {
            ThrowHelper.ThrowInvalidOption(nameof(NatDiscoveryOptions.BindAddress), bindProblem);
        }

        if (options.AddressFamily != AddressFamily.Unspecified && Mapping.Internal.AddressFamilyRules.ServersProblem(options.StunServers, options.AddressFamily) is { } serversProblem)
        {
            ThrowHelper.ThrowInvalidOption(nameof(NatDiscoveryOptions.StunServers), serversProblem);
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            ThrowHelper.ThrowOptionOutOfRange(nameof(NatDiscoveryOptions.RequestTimeout), "RequestTimeout must be positive.");
        }

        if (options.MaxLifetimeProbe <= TimeSpan.Zero)
        {
            ThrowHelper.ThrowOptionOutOfRange(nameof(NatDiscoveryOptions.MaxLifetimeProbe), "MaxLifetimeProbe must be positive.");
        }

        if (!options.TestUdp && !options.TestTcp)
        {
            ThrowHelper.ThrowInvalidOption(nameof(NatDiscoveryOptions.TestUdp), "Nothing to test: TestUdp and TestTcp are both false.");
        }

        _options = options;
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger("NatMap.Discovery");
        _sockets = new BoundSocketFactory(SocketSettings.Interface(options.BindInterface), loggerFactory.CreateLogger("NatMap.Sockets"));
    }

    /// <summary>Runs the selected tests, one after the other.</summary>
    /// <param name="cancellationToken">Stops the check.</param>
    /// <returns>The findings; check <see cref="NatDiscoveryReport.AnyServerAnswered"/>.</returns>
    /// <exception cref="NatMapException">
    /// No server name resolved (<see cref="NatMapErrorKind.ResolutionFailed"/>) or the local port
    /// could not be bound (<see cref="NatMapErrorKind.BindFailed"/>).
    /// </exception>
    public async Task<NatDiscoveryReport> RunAsync(CancellationToken cancellationToken = default)
    {
        var servers = await ResolveServersAsync(cancellationToken).ConfigureAwait(false);
        NatDiscoveryResult? udp = null;
        NatDiscoveryResult? tcp = null;
        BindingLifetimeEstimate? lifetime = null;
        if (_options.TestUdp)
        {
            udp = await RunUdpAsync(servers, cancellationToken).ConfigureAwait(false);
            if (udp.ServerAnswered)
            {
                // TCP then starts with the server that served UDP, whose OTHER-ADDRESS is known.
                servers.Remove(udp.Server);
                servers.Insert(0, udp.Server);
            }
        }

        if (_options.TestTcp)
        {
            tcp = await RunTcpAsync(servers, udp, cancellationToken).ConfigureAwait(false);
        }

        if (_options.EstimateLifetime && udp is { ServerAnswered: true })
        {
            lifetime = await EstimateLifetimeAsync(udp.Server, cancellationToken).ConfigureAwait(false);
        }

        return new NatDiscoveryReport(udp, tcp, lifetime);
    }

    private async Task<List<IPEndPoint>> ResolveServersAsync(CancellationToken cancellationToken)
    {
        var family = _options.AddressFamily;
        var resolved = new List<IPEndPoint>();
        foreach (var server in _options.StunServers)
        {
            var (addresses, failure) = await StunServerResolver.ResolveAsync(server, family, _logger, cancellationToken).ConfigureAwait(false);
            if (addresses is null)
            {
                DiscoveryLog.ResolveFailed(_logger, server.ToString(), family, failure!);
                continue;
            }

            // The first server fixes the family for the rest (one primary socket serves them all).
            family = addresses[0].AddressFamily;
            resolved.Add(new IPEndPoint(addresses[0], server.Port));
        }

        if (resolved.Count == 0)
        {
            ThrowHelper.Throw(NatMapErrorKind.ResolutionFailed, "no STUN server resolved to a usable address");
        }

        return resolved;
    }

    private Socket CreateSocket(AddressFamily family, SocketType type, int port, bool reusePort = false)
    {
        // A check through an interface that is not there would test some other path: the factory
        // refuses to make a socket then (BindFailed).
        var address = _options.BindAddress ?? (family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any);
        return _sockets.Bind(new IPEndPoint(address, port), type == SocketType.Dgram ? ProtocolType.Udp : ProtocolType.Tcp, reusePort);
    }

    /// <summary>
    /// The source address the kernel picks towards <paramref name="server"/>: a connected UDP
    /// socket learns it without sending anything. Needed to recognise "no NAT", since the
    /// primary socket is bound to the wildcard address.
    /// </summary>
    private IPAddress SourceAddressTowards(IPEndPoint server)
    {
        if (_options.BindAddress is { } local && !local.Equals(IPAddress.Any) && !local.Equals(IPAddress.IPv6Any))
        {
            return local;
        }

        return _sockets.SourceAddressTowards(server)
            ?? ThrowHelper.Throw<IPAddress>(NatMapErrorKind.Unreachable, "no route to " + server);
    }

    private async Task<NatDiscoveryResult> RunUdpAsync(List<IPEndPoint> servers, CancellationToken cancellationToken)
    {
        NatDiscoveryResult? fallback = null;
        NatDiscoveryResult? last = null;
        foreach (var server in servers)
        {
            last = await RunUdpOnceAsync(server, cancellationToken).ConfigureAwait(false);
            if (!last.ServerAnswered)
            {
                DiscoveryLog.ServerUnanswered(_logger, server, MappingProtocol.Udp);
                continue;
            }

            if (last.Filtering != NatBehavior.UnsupportedServer && last.Mapping != NatBehavior.UnsupportedServer)
            {
                return last;
            }

            DiscoveryLog.ServerUnsupported(_logger, server);
            fallback ??= last;
        }

        return fallback ?? last!;
    }

    private async Task<NatDiscoveryResult> RunUdpOnceAsync(IPEndPoint server, CancellationToken cancellationToken)
    {
        using var primary = CreateSocket(server.AddressFamily, SocketType.Dgram, _options.Port);
        using var secondary = _options.TestHairpinning ? CreateSocket(server.AddressFamily, SocketType.Dgram, 0) : null;
        var local = new IPEndPoint(SourceAddressTowards(server), ((IPEndPoint)primary.LocalEndPoint!).Port);
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, server, local, _options.TestHairpinning);
        var discards = new StunDiscardTally();
        DiscoveryLog.DiscoveryStarted(_logger, MappingProtocol.Udp, local, server);
        while (!discovery.IsComplete)
        {
            var request = discovery.Current;
            DiscoveryLog.RequestSent(_logger, request.Step, request.Socket, request.Destination, request.ChangeFlags);
            var response = request.Step == DiscoveryStep.Hairpinning
                ? await HairpinAsync(secondary!, primary, request.Destination, discards, cancellationToken).ConfigureAwait(false)
                : await UdpTransactionAsync(primary, request.Destination, request.ChangeFlags, null, primary, discards, cancellationToken).ConfigureAwait(false);
            DiscoveryLog.ResponseReceived(_logger, request.Step, response);
            discovery.Advance(response);
        }

        return Finish(discovery, discards, MappingProtocol.Udp, server);
    }

    /// <summary>The finished discovery's result, with what its transactions discarded noted, logged once.</summary>
    private NatDiscoveryResult Finish(NatBehaviorDiscovery discovery, StunDiscardTally discards, MappingProtocol protocol, IPEndPoint server)
    {
        var result = discovery.Result;
        NoteDiscards(result, discards);
        DiscoveryLog.DiscoveryCompleted(_logger, protocol, server, result.Mapping, result.Filtering, result.NatType, result.PublicEndPoint);
        return result;
    }
}
