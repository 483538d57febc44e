using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NatMap.Diagnostics.Internal;
using NatMap.Forwarding.Internal;
using NatMap.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Forwarding;

/// <summary>
/// Listens on a local UDP endpoint and relays datagrams to a target, with a session per client
/// endpoint: each session has its own socket connected to the target, and the target's replies
/// go back to that client from the listening socket.
/// </summary>
/// <remarks>
/// Datagrams up to 65,507 bytes are relayed whole. The receive loop allocates nothing per
/// datagram: sessions are keyed by <see cref="SocketAddress"/> and the SocketAddress-based
/// socket calls are used. A session closes after <see cref="UdpForwarderOptions.IdleTimeout"/>
/// without datagrams either way; at <see cref="UdpForwarderOptions.MaxSessions"/> new clients are
/// refused. On 64-bit Linux one thread of the forwarder's own relays both ways from one epoll set:
/// it receives from the listening socket in recvmmsg(2) batches and passes each client's run of
/// datagrams on with one sendmmsg(2) call, drains each session's replies the same way, and a new
/// session is a bare descriptor with pooled state, so client churn allocates nothing either.
/// </remarks>
/// <example>
/// <code>
/// await using var forwarder = new UdpForwarder(new UdpForwarderOptions
/// {
///     ListenEndPoint = new IPEndPoint(IPAddress.Any, 5353),
///     TargetHost = "192.0.2.10",
///     TargetPort = 53,
/// });
/// forwarder.Start();
/// </code>
/// </example>
public sealed class UdpForwarder : IAsyncDisposable, IForwarderMetricsSource
{
    /// <summary>Enough for any UDP payload (65,507 bytes over IPv4, 65,527 over IPv6).</summary>
    private const int MaxDatagram = 65536;

    private readonly ILogger _logger;
    private readonly TargetResolver _resolver;
    private readonly TimeSpan _idleTimeout;
    private readonly int _maxSessions;
    private readonly bool _reuseAddress;
    private readonly int _receiveBufferSize;
    private readonly IPEndPoint _listenEndPoint;
    private readonly UdpControlEndPoints _controls;
    private readonly UdpRelayCounters _counters = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ForwarderLifecycle _lifecycle = new();
    private Socket? _listener;
    private IPEndPoint? _localEndPoint;
    private UdpSessionTable? _sessions;
    private UdpReplyRelay? _relay;
    private Task? _receiveLoop;
    private Task? _sweepLoop;

    /// <summary>Creates a forwarder; nothing is bound until <see cref="Start()"/>.</summary>
    /// <param name="options">The settings; copied, so later changes have no effect.</param>
    /// <param name="loggerFactory">Where to log, or null for no logging.</param>
    /// <exception cref="ArgumentException">An option is invalid; <see cref="ArgumentException.ParamName"/> names it.</exception>
    public UdpForwarder(UdpForwarderOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxSessions < 1)
        {
            ThrowHelper.ThrowOptionOutOfRange(nameof(UdpForwarderOptions.MaxSessions), "MaxSessions must be at least 1.");
        }

        if (options.IdleTimeout <= TimeSpan.Zero && options.IdleTimeout != Timeout.InfiniteTimeSpan)
        {
            ThrowHelper.ThrowOptionOutOfRange(nameof(UdpForwarderOptions.IdleTimeout), "IdleTimeout must be positive or infinite.");
        }

        _resolver = new TargetResolver(options.TargetHost, options.TargetPort, options.TargetAddressFamily);
        _idleTimeout = options.IdleTimeout;
        _maxSessions = options.MaxSessions;
        _reuseAddress = options.ReuseAddress;
        _receiveBufferSize = options.ReceiveBufferSize;
        _listenEndPoint = options.ListenEndPoint;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<UdpForwarder>();
        _controls = new UdpControlEndPoints(options.ControlDatagramHandler, _logger);
    }

    /// <summary>The endpoint the forwarder listens on (with the actual port when 0 was asked).</summary>
    /// <exception cref="InvalidOperationException">The forwarder has not been started.</exception>
    public IPEndPoint LocalEndPoint => _localEndPoint ?? throw new InvalidOperationException("The forwarder has not been started.");

    /// <summary>Sessions open now.</summary>
    public int ActiveSessions => _sessions?.Count ?? 0;

    /// <summary>Sessions opened since start.</summary>
    public long OpenedSessions => Interlocked.Read(ref _counters.Opened);

    /// <summary>Datagrams dropped because they came from a new client while <see cref="UdpForwarderOptions.MaxSessions"/> sessions were open.</summary>
    public long RefusedDatagrams => Interlocked.Read(ref _counters.Refused);

    /// <summary>Datagrams relayed from clients to the target.</summary>
    public long DatagramsToTarget => Interlocked.Read(ref _counters.DatagramsToTarget);

    /// <summary>Datagrams relayed from the target to clients.</summary>
    public long DatagramsFromTarget => Interlocked.Read(ref _counters.DatagramsFromTarget);

    /// <summary>Payload bytes relayed from clients to the target.</summary>
    public long BytesToTarget => Interlocked.Read(ref _counters.BytesToTarget);

    /// <summary>Payload bytes relayed from the target to clients.</summary>
    public long BytesFromTarget => Interlocked.Read(ref _counters.BytesFromTarget);

    /// <summary>Serve through the portable path even where the Linux event loop runs (tests of that path).</summary>
    internal bool PortableRelay { get; init; }

    string IForwarderMetricsSource.MetricsProtocol => "udp";

    int IForwarderMetricsSource.MetricsLocalPort => _localEndPoint?.Port ?? 0;

    /// <summary>Binds <see cref="UdpForwarderOptions.ListenEndPoint"/> and starts relaying.</summary>
    /// <exception cref="NatMapException">The endpoint cannot be bound (<see cref="NatMapErrorKind.BindFailed"/>).</exception>
    /// <exception cref="InvalidOperationException">The forwarder was already started.</exception>
    public void Start() =>
        Start(new BoundSocketFactory(SocketSettings.None, _logger).Bind(_listenEndPoint, ProtocolType.Udp, _reuseAddress));

    /// <summary>
    /// Starts relaying datagrams that arrive on an already bound UDP socket. The forwarder owns
    /// the socket from now on and closes it when stopped.
    /// </summary>
    /// <param name="boundSocket">A bound UDP socket.</param>
    /// <exception cref="InvalidOperationException">The forwarder was already started.</exception>
    public void Start(Socket boundSocket)
    {
        ArgumentNullException.ThrowIfNull(boundSocket);
        _lifecycle.BeginStart();

        if (_receiveBufferSize > 0)
        {
            int effective = LinuxSocketOptions.SetReceiveBufferSize(boundSocket, _receiveBufferSize);
            if (effective < _receiveBufferSize)
            {
                ForwardingLog.UdpReceiveBufferCapped(_logger, boundSocket.LocalEndPoint, effective, _receiveBufferSize);
            }
        }

        _listener = boundSocket;
        _localEndPoint = (IPEndPoint)boundSocket.LocalEndPoint!;
        var sessions = new UdpSessionTable(_maxSessions, _localEndPoint, _counters, _logger);
        _sessions = sessions;
        ForwardingLog.UdpStarted(_logger, _localEndPoint, _resolver.Host, _resolver.Port);
        ForwarderMetricsRegistry.Register(this);
        if (!PortableRelay && UdpEventLoop.TryStart(boundSocket, sessions, _controls, _resolver, _counters, MaxDatagram, _idleTimeout, _logger, _stopping.Token) is { } loop)
        {
            _receiveLoop = loop.Completion;
            return;
        }

        _relay = new UdpReplyRelay(boundSocket, sessions, _resolver, _counters, MaxDatagram, _logger, _stopping.Token);
        _receiveLoop = new UdpAsyncReceiver(boundSocket, sessions, _controls, _counters, MaxDatagram, _logger).Start(_stopping.Token);
        if (_idleTimeout != Timeout.InfiniteTimeSpan)
        {
            _sweepLoop = IdleSweeper.RunAsync<UdpSession>(_idleTimeout, sessions.CollectIdle, session => sessions.Remove(session, "idle timeout"), _stopping.Token);
        }
    }

    /// <summary>Stops listening and closes every session. Safe to call more than once.</summary>
    /// <returns>A task that completes when everything is closed.</returns>
    public async Task StopAsync()
    {
        if (!_lifecycle.BeginStop())
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        if (_receiveLoop is not null)
        {
            await _receiveLoop.ConfigureAwait(false);
        }

        if (_sweepLoop is not null)
        {
            await _sweepLoop.ConfigureAwait(false);
        }

        if (_sessions is not null)
        {
            await _sessions.CloseAllAsync().ConfigureAwait(false);
        }

        _relay?.Dispose();
        ForwarderMetricsRegistry.Unregister(this);
        ForwardingLog.UdpStopped(_logger, _localEndPoint);
        _stopping.Dispose();
    }

    /// <summary>Same as <see cref="StopAsync"/>.</summary>
    /// <returns>A task that completes when everything is closed.</returns>
    public ValueTask DisposeAsync() => new(StopAsync());

    /// <summary>
    /// Diverts datagrams from <paramref name="endPoint"/> to <see cref="UdpForwarderOptions.ControlDatagramHandler"/>
    /// instead of relaying them (the STUN server that answers the mapper's checks sent with
    /// <see cref="SendFromListener"/>). May be called at any time, from any thread.
    /// </summary>
    /// <param name="endPoint">The remote endpoint, as the listening socket sees it.</param>
    internal void AddControlEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        _controls.Add(endPoint);
    }

    /// <summary>Stops diverting datagrams from <paramref name="endPoint"/>; true if it was registered.</summary>
    internal bool RemoveControlEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return _controls.Remove(endPoint);
    }

    /// <summary>
    /// Sends one datagram from the listening socket, so that it leaves from the forwarded port (the
    /// mapper's NAT keep-alive, or a STUN Binding request whose answer comes back through
    /// <see cref="UdpForwarderOptions.ControlDatagramHandler"/>).
    /// </summary>
    /// <exception cref="NatMapException">The send failed (<see cref="NatMapErrorKind.NetworkError"/>).</exception>
    /// <exception cref="InvalidOperationException">The forwarder is not running.</exception>
    internal void SendFromListener(ReadOnlySpan<byte> datagram, IPEndPoint remoteEndPoint)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        var listener = _listener ?? throw new InvalidOperationException("The forwarder has not been started.");
        try
        {
            listener.SendTo(datagram, SocketFlags.None, remoteEndPoint);
        }
        catch (SocketException ex)
        {
            ThrowHelper.Throw(NatMapErrorKind.NetworkError, "Sending from the UDP forwarder's socket to " + remoteEndPoint + " failed: " + SocketErrorClassifier.Describe(ex) + ".", ex);
        }
        catch (ObjectDisposedException ex)
        {
            throw new InvalidOperationException("The forwarder has been stopped.", ex);
        }
    }

    ForwarderCounts IForwarderMetricsSource.ReadMetricsCounts() =>
        new(ActiveSessions, OpenedSessions, RefusedDatagrams, 0, BytesToTarget, BytesFromTarget);
}
