using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NatMap.Diagnostics.Internal;
using NatMap.Internal;
using NatMap.Sockets.Internal;
using NatMap.Stun.Internal;

namespace NatMap.Stun;

/// <summary>
/// Asks STUN servers for the mapped (public) address of a local UDP or TCP endpoint with Binding
/// requests (RFC 8489). Servers are tried in order and each resolved address in turn until one
/// answers; when none does, a <see cref="NatMapException"/> of kind
/// <see cref="NatMapErrorKind.AllServersFailed"/> names every server tried and why it failed.
/// </summary>
/// <remarks>
/// Over UDP, requests are retransmitted per RFC 8489 section 6.2.1 (RTO doubling, then a final
/// wait). A datagram that is not a valid answer to the transaction (from another source, not STUN,
/// another transaction id, bad length or FINGERPRINT, not a Binding response, no mapped address) is
/// discarded silently as section 6.3 says, and the transaction waits on: a server fails only when
/// its transaction times out, when it sends a valid error response, or when its response carries an
/// unknown comprehension-required attribute, and the failure then counts what was discarded (for
/// example "no answer to 7 request(s) in 39.5 s; 3 datagrams discarded (3 truncated)"). Over TCP
/// there is no retransmission (section 6.2.2) and each message is framed by its header's length: a
/// well-framed message that is not the answer is discarded and the next one read, but a framing
/// error (a bad header, or the connection closed mid-message) cannot be resynchronised on a byte
/// stream, so it closes that connection and fails that server. Instances are thread-safe; each
/// query is independent.
/// </remarks>
/// <example>
/// Ask two servers, in order, for this host's public UDP address over IPv4:
/// <code>
/// var options = new StunClientOptions();
/// options.StunServers.Add(StunServerEndPoint.Parse("stun.example.org"));
/// options.StunServers.Add(StunServerEndPoint.Parse("stun2.example.org:3478"));
/// var client = new StunClient(options);
/// StunBindingResult result = await client.QueryAsync(MappingProtocol.Udp, AddressFamily.InterNetwork, cancellationToken);
/// Console.WriteLine(result.MappedEndPoint + " seen by " + result.Server);
/// </code>
/// </example>
public sealed class StunClient
{
    private readonly StunServerEndPoint[] _servers;
    private readonly StunRetransmitSchedule _schedule;
    private readonly TimeSpan _tcpTimeout;
    private readonly string? _software;
    private readonly ILogger _logger;

    /// <summary>Servers that a query failed over past and that have not answered since (see <see cref="ReportFailover"/>).</summary>
    private readonly HashSet<StunServerEndPoint> _failedOver = [];

    /// <summary>Creates a client; <paramref name="options"/> are validated and copied.</summary>
    /// <param name="options">Servers and timing.</param>
    /// <param name="loggerFactory">Where to log, or null for no logging.</param>
    /// <exception cref="ArgumentException">An option is invalid; <see cref="ArgumentException.ParamName"/> names it.</exception>
    public StunClient(StunClientOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _servers = [.. options.StunServers];
        if (_servers.Length == 0)
        {
            ThrowHelper.ThrowInvalidOption(nameof(StunClientOptions.StunServers), "At least one STUN server is required.");
        }

        if (Array.Exists(_servers, s => s is null))
        {
            ThrowHelper.ThrowInvalidOption(nameof(StunClientOptions.StunServers), "The STUN server list contains a null entry.");
        }

        if (options.InitialRto <= TimeSpan.Zero || options.InitialRto > StunRetransmission.MaxWait)
        {
            ThrowHelper.ThrowOptionOutOfRange(nameof(StunClientOptions.InitialRto), "InitialRto must be positive and at most one hour.");
        }

        if (options.MaxRequests < 1)
        {
            ThrowHelper.ThrowOptionOutOfRange(nameof(StunClientOptions.MaxRequests), "MaxRequests must be at least 1.");
        }

        if (options.LastWaitMultiplier < 1)
        {
            ThrowHelper.ThrowOptionOutOfRange(nameof(StunClientOptions.LastWaitMultiplier), "LastWaitMultiplier must be at least 1.");
        }

        if (options.TcpTimeout <= TimeSpan.Zero || options.TcpTimeout > StunRetransmission.MaxWait)
        {
            ThrowHelper.ThrowOptionOutOfRange(nameof(StunClientOptions.TcpTimeout), "TcpTimeout must be positive and at most one hour.");
        }

        if (options.Software is { } software && System.Text.Encoding.UTF8.GetByteCount(software) > SoftwareAttribute.MaxLength)
        {
            ThrowHelper.ThrowInvalidOption(nameof(StunClientOptions.Software), "Software must fit in 763 UTF-8 bytes (RFC 8489 section 14.14).");
        }

        _schedule = new StunRetransmitSchedule(options.InitialRto, options.MaxRequests, options.LastWaitMultiplier);
        _tcpTimeout = options.TcpTimeout;
        _software = options.Software;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<StunClient>();
    }

    /// <summary>
    /// Queries over UDP from <paramref name="socket"/>, which the caller owns and keeps: its local
    /// port is the one whose mapping is reported. Servers are resolved for the socket's address
    /// family only (a dual-mode IPv6 socket is asked about IPv6). Nothing else may receive on the
    /// socket during the query: datagrams that are not the answer are read and dropped.
    /// </summary>
    /// <param name="socket">A UDP socket, bound or not (sending binds it).</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The first successful answer.</returns>
    /// <exception cref="NatMapException">Every server failed (<see cref="NatMapErrorKind.AllServersFailed"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<StunBindingResult> QueryUdpAsync(Socket socket, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.SocketType != SocketType.Dgram)
        {
            throw new ArgumentException("The socket must be a UDP socket.", nameof(socket));
        }

        var family = CheckFamily(socket.AddressFamily, nameof(socket));
        return await QueryUdpAsync(new SocketStunTransport(socket), family, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Queries over UDP through <paramref name="transport"/>, for a socket the client does not read
    /// itself (the UDP forwarder's listening socket): the same failover, retransmission and
    /// validation as <see cref="QueryUdpAsync(Socket, CancellationToken)"/>.
    /// </summary>
    internal async Task<StunBindingResult> QueryUdpAsync(IStunDatagramTransport transport, AddressFamily family, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        CheckFamily(family, nameof(family));
        return await RunAsync(ProtocolType.Udp, family, (server, remote, ct) => UdpTransactionAsync(transport, server, remote, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Queries over TCP. For each attempt <paramref name="createSocket"/> is called with the address
    /// family and must return a fresh, bound, unconnected TCP socket (a port mapper binds it to its
    /// shared local port with SO_REUSEADDR/SO_REUSEPORT); the client connects it, runs one
    /// transaction, and closes it with a reset (so the next query from the same local port is not
    /// held up by TIME_WAIT). Exceptions thrown by <paramref name="createSocket"/> are not failover
    /// reasons: they reach the caller unchanged.
    /// </summary>
    /// <param name="family"><see cref="AddressFamily.InterNetwork"/> or <see cref="AddressFamily.InterNetworkV6"/>.</param>
    /// <param name="createSocket">Makes the socket for one attempt.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The first successful answer.</returns>
    /// <exception cref="NatMapException">Every server failed (<see cref="NatMapErrorKind.AllServersFailed"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<StunBindingResult> QueryTcpAsync(AddressFamily family, Func<AddressFamily, Socket> createSocket, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(createSocket);
        CheckFamily(family, nameof(family));
        return await RunAsync(ProtocolType.Tcp, family, (server, remote, ct) => TcpTransactionAsync(family, createSocket, server, remote, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Queries from a socket the client binds itself to an ephemeral port and closes afterwards.</summary>
    /// <param name="protocol"><see cref="MappingProtocol.Udp"/> or <see cref="MappingProtocol.Tcp"/>.</param>
    /// <param name="family"><see cref="AddressFamily.InterNetwork"/> or <see cref="AddressFamily.InterNetworkV6"/>.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The first successful answer.</returns>
    /// <exception cref="NatMapException">Every server failed, or the socket could not be made.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<StunBindingResult> QueryAsync(MappingProtocol protocol, AddressFamily family, CancellationToken cancellationToken = default)
    {
        CheckFamily(family, nameof(family));
        switch (protocol)
        {
            case MappingProtocol.Udp:
                using (var socket = CreateBoundSocket(family, ProtocolType.Udp))
                {
                    return await QueryUdpAsync(socket, cancellationToken).ConfigureAwait(false);
                }

            case MappingProtocol.Tcp:
                return await QueryTcpAsync(family, f => CreateBoundSocket(f, ProtocolType.Tcp), cancellationToken).ConfigureAwait(false);
            default:
                throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "Only UDP and TCP are supported.");
        }
    }

    private async Task<StunBindingResult> RunAsync(
        ProtocolType protocol,
        AddressFamily family,
        Func<StunServerEndPoint, IPEndPoint, CancellationToken, Task<(StunBindingResult? Result, string? Failure, StunOutcome Outcome)>> transaction,
        CancellationToken cancellationToken)
    {
        string protocolName = protocol == ProtocolType.Udp ? "UDP" : "TCP";
        string familyName = family == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
        StunLog.QueryStarting(_logger, protocolName, familyName, _servers.Length);
        var failures = new List<string>();
        List<(StunServerEndPoint Server, string Reason)>? failed = null;
        try
        {
            foreach (var server in _servers)
            {
                var (addresses, resolveFailure) = await StunServerResolver.ResolveAsync(server, family, _logger, cancellationToken).ConfigureAwait(false);
                if (addresses is null)
                {
                    StunLog.ServerUnresolved(_logger, server, protocolName, resolveFailure!);
                    failures.Add(server + ": " + resolveFailure);
                    (failed ??= []).Add((server, resolveFailure!));
                    continue;
                }

                foreach (var address in addresses)
                {
                    var remote = new IPEndPoint(address, server.Port);
                    long started = Stopwatch.GetTimestamp();
                    var (result, failure, outcome) = await transaction(server, remote, cancellationToken).ConfigureAwait(false);
                    NatMapInstruments.StunTransaction(protocol, outcome, server.Host, server.Port, started);
                    if (result is not null)
                    {
                        StunLog.Mapped(_logger, server, remote, protocolName, result.LocalEndPoint, result.MappedEndPoint);
                        ReportFailover(failed, server, protocolName);
                        return result;
                    }

                    StunLog.ServerFailed(_logger, server, remote, protocolName, failure!);
                    failures.Add(Describe(server, remote) + ": " + failure);
                    (failed ??= []).Add((server, failure!));
                }
            }
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested && ex.CancellationToken != cancellationToken)
        {
            throw new OperationCanceledException(ex.Message, ex, cancellationToken);
        }

        string summary = string.Join("; ", failures);
        StunLog.AllServersFailed(_logger, protocolName, familyName, summary);
        return ThrowHelper.Throw<StunBindingResult>(
            NatMapErrorKind.AllServersFailed,
            "No STUN server answered over " + protocolName + "/" + familyName + ". Tried " + summary + ".");
    }

    /// <summary>
    /// Warns, once per server until it answers again, that a query had to fail over past it: a dead
    /// first server would otherwise cost every check a timeout without a word at the default level,
    /// and a warning on every check would flood a steady state.
    /// </summary>
    private void ReportFailover(List<(StunServerEndPoint Server, string Reason)>? failed, StunServerEndPoint answering, string protocolName)
    {
        lock (_failedOver)
        {
            _failedOver.Remove(answering);
            if (failed is null)
            {
                return;
            }

            foreach (var (server, reason) in failed)
            {
                // One address of the answering server failing before another answered is no failover.
                if (server != answering && _failedOver.Add(server))
                {
                    StunLog.FailedOver(_logger, server, protocolName, reason, answering);
                }
            }
        }
    }

    private async Task<(StunBindingResult? Result, string? Failure, StunOutcome Outcome)> UdpTransactionAsync(IStunDatagramTransport transport, StunServerEndPoint server, IPEndPoint remote, CancellationToken cancellationToken)
    {
        var transaction = StunBindingTransaction.Create(software: _software);
        var discards = new StunDiscardTally();
        try
        {
            var exchange = await StunExchange.UdpAsync(transport, transaction, remote, answerFromRemote: true, _schedule, discards, _logger, cancellationToken).ConfigureAwait(false);
            return Outcome(exchange, discards, "datagram", ProtocolType.Udp, transport.LocalEndPoint, server, remote, StunOutcome.Timeout);
        }
        catch (SocketException ex)
        {
            return (null, WithDiscards(SocketErrorClassifier.Describe(ex), discards, "datagram"), StunOutcome.Unreachable);
        }
    }

    private async Task<(StunBindingResult? Result, string? Failure, StunOutcome Outcome)> TcpTransactionAsync(
        AddressFamily family,
        Func<AddressFamily, Socket> createSocket,
        StunServerEndPoint server,
        IPEndPoint remote,
        CancellationToken cancellationToken)
    {
        var transaction = StunBindingTransaction.Create(software: _software);
        var discards = new StunDiscardTally();
        using var socket = createSocket(family) ?? throw new InvalidOperationException("createSocket returned null.");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_tcpTimeout);
        try
        {
            await socket.ConnectAsync(remote, timeout.Token).ConfigureAwait(false);
            StunLog.TcpConnected(_logger, remote, socket.LocalEndPoint);
            var exchange = await StunExchange.TcpAsync(socket, transaction, discards, _logger, timeout.Token).ConfigureAwait(false);
            return Outcome(exchange, discards, "message", ProtocolType.Tcp, socket.LocalEndPoint, server, remote, StunOutcome.Malformed);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, WithDiscards("no answer within " + Seconds(_tcpTimeout), discards, "message"), StunOutcome.Timeout);
        }
        catch (SocketException ex)
        {
            return (null, WithDiscards(SocketErrorClassifier.Describe(ex), discards, "message"), StunOutcome.Unreachable);
        }
        finally
        {
            CloseAbortively(socket);
        }
    }

    /// <summary>What a finished exchange means to the failover: a result, or the failure text and outcome for this server address.</summary>
    private static (StunBindingResult? Result, string? Failure, StunOutcome Outcome) Outcome(
        StunExchangeResult exchange, StunDiscardTally discards, string unit, ProtocolType protocol, EndPoint? local, StunServerEndPoint server, IPEndPoint remote, StunOutcome unanswered) =>
        exchange.Accepted switch
        {
            _ when !exchange.Answered => (null, WithDiscards(exchange.Failure!, discards, unit), unanswered),
            StunAcceptResult.Success => (CreateResult(protocol, exchange.Response!, local, server, remote), null, StunOutcome.Success),
            StunAcceptResult.ErrorResponse => (null, WithDiscards(ErrorText(exchange.Response!), discards, unit), StunOutcome.ErrorResponse),
            _ => (null, WithDiscards("response with an unknown comprehension-required attribute", discards, unit), StunOutcome.Malformed),
        };

    /// <summary>
    /// Ends a TCP transaction with a reset rather than a FIN. A port mapper queries again and again
    /// from one shared local port to the same server; a graceful close by the client leaves that
    /// four-tuple in TIME_WAIT and Linux then refuses the next connect with EADDRNOTAVAIL for up to
    /// 60 s. With SO_LINGER set to zero the close sends RST and leaves no TIME_WAIT behind.
    /// </summary>
    private static void CloseAbortively(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
            // The socket is already unusable; disposing it is all that is left.
        }
        catch (ObjectDisposedException)
        {
            // Disposed by the caller's factory or elsewhere.
        }
    }

    private static StunBindingResult CreateResult(ProtocolType protocol, StunBindingResponse response, EndPoint? local, StunServerEndPoint server, IPEndPoint remote) =>
        new(protocol, response.MappedAddress!, local as IPEndPoint ?? new IPEndPoint(IPAddress.Any, 0), server, remote, response.OtherAddress, response.ResponseOrigin);

    private static Socket CreateBoundSocket(AddressFamily family, ProtocolType protocol) =>
        BoundSocketFactory.Plain.Bind(new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0), protocol, shareLocalPort: false);

    private static AddressFamily CheckFamily(AddressFamily family, string parameterName) =>
        family is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
            ? family
            : throw new ArgumentOutOfRangeException(parameterName, family, "Only IPv4 and IPv6 are supported.");

    private static string Describe(StunServerEndPoint server, IPEndPoint remote)
    {
        string text = server.ToString();
        string resolved = remote.ToString();
        return text == resolved ? text : text + " (" + resolved + ")";
    }

    /// <summary>"timeout; 3 datagrams discarded (3 truncated)": a failure names what the transaction threw away.</summary>
    private static string WithDiscards(string failure, StunDiscardTally discards, string unit) =>
        discards.Total == 0 ? failure : failure + "; " + discards.Describe(unit);

    private static string ErrorText(StunBindingResponse response) =>
        "error response " + response.ErrorCode.ToString(CultureInfo.InvariantCulture)
        + (string.IsNullOrEmpty(response.ErrorReason) ? string.Empty : " " + response.ErrorReason);

    private static string FamilyName(AddressFamily family) => StunServerResolver.FamilyName(family);

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
