using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NatMap.Diagnostics.Internal;
using NatMap.Forwarding.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Forwarding;

/// <summary>
/// Listens on a local TCP endpoint and relays every accepted connection to a target host and
/// port, in both directions, until both sides have finished or the connection goes idle.
/// </summary>
/// <remarks>
/// On Linux the bytes move with splice(2) through kernel pipes, driven by one epoll thread for
/// all connections (<see cref="TcpRelayEngine.Splice"/>); elsewhere they go socket → pipe →
/// socket through System.IO.Pipelines with pooled segments (<see cref="TcpRelayEngine.Managed"/>).
/// A half-close is passed on: when one side
/// sends FIN, the other side's socket is shut down for sending and the other direction goes on.
/// A failure on one connection, including an unreachable target, closes only that connection.
/// Call <see cref="Start()"/> once; <see cref="StopAsync"/> and <see cref="DisposeAsync"/> stop
/// the listener and close every relayed connection, and may be called more than once.
/// </remarks>
/// <example>
/// Forward every connection to port 5555 on to a web server on the LAN:
/// <code>
/// await using var forwarder = new TcpForwarder(new TcpForwarderOptions
/// {
///     ListenEndPoint = new IPEndPoint(IPAddress.Any, 5555),
///     TargetHost = "192.0.2.10",
///     TargetPort = 8080,
/// });
/// forwarder.Start();
/// Console.WriteLine("relaying with " + forwarder.Engine);
/// </code>
/// </example>
public sealed partial class TcpForwarder : IAsyncDisposable, IForwarderMetricsSource
{
    /// <summary>How many bytes of idle pipe segments a forwarder keeps for reuse (4 to 64 segments).</summary>
    private const int RetainedBufferBytes = 16 * 1024 * 1024;

    /// <summary>How many idle managed-engine connections (each two empty pipes, no buffer) a forwarder keeps for reuse.</summary>
    private const int RetainedConnections = 64;

    private readonly ILogger _logger;
    private readonly TargetResolver? _resolver;
    private readonly Action<TcpPipeConnection>? _serve;
    private readonly TcpForwarderOptions _options;
    private readonly TcpRelayCounters _counters = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _gate = new();
    private readonly HashSet<RelayedConnection> _managed = [];
    private readonly Stack<SocketRelayConnection> _idleConnections = new();
    private readonly HashSet<Task> _handlers = [];
    private readonly PinnedBlockMemoryPool _buffers;
    private readonly PipeOptions _pipeOptions;
    private Socket? _listener;
    private SpliceEventLoop? _spliceLoop;
    private Task? _acceptLoop;
    private Task? _sweepLoop;
    private IPEndPoint? _localEndPoint;
    private readonly ForwarderLifecycle _lifecycle = new();
    private int _keepAliveWarned;

    /// <summary>Creates a forwarder; nothing is bound until <see cref="Start()"/>.</summary>
    /// <param name="options">The settings; copied, so later changes have no effect.</param>
    /// <param name="loggerFactory">Where to log, or null for no logging.</param>
    /// <exception cref="ArgumentException">An option is invalid; <see cref="ArgumentException.ParamName"/> names it.</exception>
    public TcpForwarder(TcpForwarderOptions options, ILoggerFactory? loggerFactory = null)
        : this(options, serve: null, loggerFactory)
    {
    }

    /// <summary>
    /// Creates a forwarder that relays to no target but hands every accepted connection to
    /// <paramref name="serve"/> as pipes (in-process serving); the limit, the idle timeout and
    /// stopping apply to those connections as to relayed ones.
    /// </summary>
    internal TcpForwarder(TcpForwarderOptions options, Action<TcpPipeConnection>? serve, ILoggerFactory? loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _serve = serve;
        _resolver = serve is null ? new TargetResolver(options.TargetHost, options.TargetPort, options.TargetAddressFamily) : null;
        _options = options.Clone();
        _buffers = new PinnedBlockMemoryPool(options.BufferSize, retain: Math.Clamp(RetainedBufferBytes / options.BufferSize, 4, 64));
        _pipeOptions = RelayPipeOptions.SocketToSocket(_buffers);
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<TcpForwarder>();
    }

    /// <summary>The engine in use, known after <see cref="Start()"/>.</summary>
    public TcpRelayEngine Engine { get; private set; }

    /// <summary>The endpoint the forwarder listens on (with the actual port when 0 was asked).</summary>
    /// <exception cref="InvalidOperationException">The forwarder has not been started.</exception>
    public IPEndPoint LocalEndPoint => _localEndPoint ?? throw new InvalidOperationException("The forwarder has not been started.");

    /// <summary>Connections being relayed now.</summary>
    public int ActiveConnections => Volatile.Read(ref _counters.Active);

    /// <summary>Connections accepted and relayed (or attempted) since start.</summary>
    public long AcceptedConnections => Interlocked.Read(ref _counters.Accepted);

    /// <summary>Connections closed at once because <see cref="TcpForwarderOptions.MaxConnections"/> was reached.</summary>
    public long RefusedConnections => Interlocked.Read(ref _counters.Refused);

    /// <summary>Connections closed because the target could not be resolved or reached.</summary>
    public long FailedConnections => Interlocked.Read(ref _counters.Failed);

    /// <summary>Bytes relayed from clients to the target.</summary>
    public long BytesToTarget => Interlocked.Read(ref _counters.BytesToTarget);

    /// <summary>Bytes relayed from the target to clients.</summary>
    public long BytesFromTarget => Interlocked.Read(ref _counters.BytesFromTarget);

    string IForwarderMetricsSource.MetricsProtocol => "tcp";

    int IForwarderMetricsSource.MetricsLocalPort => _localEndPoint?.Port ?? 0;

    /// <summary>Binds <see cref="TcpForwarderOptions.ListenEndPoint"/>, listens, and starts relaying.</summary>
    /// <exception cref="NatMapException">The endpoint cannot be bound (<see cref="NatMapErrorKind.BindFailed"/>), or the splice engine was asked for where it is unavailable.</exception>
    /// <exception cref="InvalidOperationException">The forwarder was already started.</exception>
    public void Start() =>
        Start(new BoundSocketFactory(SocketSettings.None, _logger).Bind(_options.ListenEndPoint, ProtocolType.Tcp, _options.ReuseAddress));

    /// <summary>
    /// Starts relaying connections that arrive on an already bound socket (listening or not).
    /// The forwarder owns the socket from now on and closes it when stopped.
    /// </summary>
    /// <param name="listeningSocket">A bound TCP socket.</param>
    /// <exception cref="NatMapException">The splice engine was asked for where it is unavailable (<see cref="NatMapErrorKind.NotSupported"/>).</exception>
    /// <exception cref="InvalidOperationException">The forwarder was already started.</exception>
    public void Start(Socket listeningSocket)
    {
        ArgumentNullException.ThrowIfNull(listeningSocket);
        _lifecycle.BeginStart();

        try
        {
            Engine = _serve is null ? ChooseEngine() : TcpRelayEngine.Managed;
            if (_options.CongestionControl is { } algorithm
                && !LinuxSocketOptions.TrySetCongestionControl(listeningSocket, algorithm, out var ccError))
            {
                ForwardingLog.CongestionControlFailed(_logger, algorithm, ccError);
            }

            listeningSocket.Listen(_options.ListenBacklog);
            _listener = listeningSocket;
            _localEndPoint = (IPEndPoint)listeningSocket.LocalEndPoint!;
            if (Engine == TcpRelayEngine.Splice)
            {
                _spliceLoop = SpliceEventLoop.Start(_options.SplicePipeSize, _options.IdleTimeout, _options.ConnectTimeout,
                    _counters, OnSpliceConnectionClosed, _logger);
            }
            else if (_options.IdleTimeout != Timeout.InfiniteTimeSpan)
            {
                _sweepLoop = IdleSweeper.RunAsync<RelayedConnection>(_options.IdleTimeout, CollectIdle, c => AbortIfTracked(c, "idle timeout"), _stopping.Token);
            }
        }
        catch
        {
            listeningSocket.Dispose();
            throw;
        }

        if (_resolver is null)
        {
            ForwardingLog.TcpServing(_logger, _localEndPoint);
        }
        else
        {
            ForwardingLog.TcpStarted(_logger, _localEndPoint, _resolver.Host, _resolver.Port, Engine);
        }

        ForwarderMetricsRegistry.Register(this);
        _acceptLoop = AcceptLoopAsync(listeningSocket, _stopping.Token);
    }

    /// <summary>Stops listening and closes every relayed connection. Safe to call more than once.</summary>
    /// <returns>A task that completes when everything is closed.</returns>
    public async Task StopAsync()
    {
        if (!_lifecycle.BeginStop())
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        if (_sweepLoop is not null)
        {
            await _sweepLoop.ConfigureAwait(false);
        }

        // A served connection's abort wakes its loops inline, and a loop that ends leaves the set:
        // abort from a copy. Nothing joins the set any more (a connect still under way sees the
        // cancellation once it has joined, and aborts itself).
        RelayedConnection[] connections;
        Task[] handlers;
        lock (_gate)
        {
            connections = [.. _managed];
            handlers = [.. _handlers];
        }

        foreach (var connection in connections)
        {
            connection.Abort("forwarder stopped");
        }

        await Task.WhenAll(handlers).ConfigureAwait(false);
        if (_spliceLoop is { } loop)
        {
            await Task.Run(loop.Stop).ConfigureAwait(false);
        }

        ForwarderMetricsRegistry.Unregister(this);
        ForwardingLog.TcpStopped(_logger, _localEndPoint);
        _stopping.Dispose();
    }

    /// <summary>Same as <see cref="StopAsync"/>.</summary>
    /// <returns>A task that completes when everything is closed.</returns>
    public ValueTask DisposeAsync() => new(StopAsync());

    ForwarderCounts IForwarderMetricsSource.ReadMetricsCounts() =>
        new(ActiveConnections, AcceptedConnections, RefusedConnections, FailedConnections, BytesToTarget, BytesFromTarget);

    private async Task AcceptLoopAsync(Socket listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException ex)
            {
                ForwardingLog.AcceptFailed(_logger, SocketErrorClassifier.Describe(ex));
                if (ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
                {
                    // Out of descriptors or memory: back off instead of spinning on the backlog.
                    try
                    {
                        await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }

                continue;
            }

            if (Interlocked.Increment(ref _counters.Active) > _options.MaxConnections)
            {
                Interlocked.Decrement(ref _counters.Active);
                Interlocked.Increment(ref _counters.Refused);
                ForwardingLog.TcpRefused(_logger, client.RemoteEndPoint, _options.MaxConnections);
                client.Dispose();
                continue;
            }

            Interlocked.Increment(ref _counters.Accepted);
            if (_serve is not null)
            {
                Serve(client);
                continue;
            }

            if (Engine == TcpRelayEngine.Splice && _resolver!.Literal is { } literal)
            {
                // Nothing on this path awaits (the connect is non-blocking and the event loop takes
                // over), so it runs here: a connection costs no task, closure or continuation.
                StartSpliceNow(client, literal, _resolver.LiteralAddress!);
                continue;
            }

            lock (_gate)
            {
                Track(HandleAsync(client, cancellationToken));
            }
        }
    }

    /// <summary>Keeps a connection's task until it ends, for <see cref="StopAsync"/> to wait on; call under the gate.</summary>
    private void Track(Task handler)
    {
        if (!handler.IsCompleted)
        {
            _handlers.Add(handler);
            _ = handler.ContinueWith(
                static (task, state) =>
                {
                    var self = (TcpForwarder)state!;
                    lock (self._gate)
                    {
                        self._handlers.Remove(task);
                    }
                },
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task HandleAsync(Socket client, CancellationToken cancellationToken)
    {
        await Task.Yield();
        Socket? target = null;
        bool handedOff = false;
        EndPoint? remote = client.RemoteEndPoint;
        try
        {
            IPEndPoint targetEndPoint = _resolver!.Literal ?? await _resolver.ResolveAsync(cancellationToken).ConfigureAwait(false);
            target = CreateTargetSocket(client, targetEndPoint.AddressFamily);
            if (Engine == TcpRelayEngine.Splice)
            {
                handedOff = StartSplice(client, target, targetEndPoint, targetEndPoint.Serialize());
                return;
            }

            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connectTimeout.CancelAfter(_options.ConnectTimeout);
                try
                {
                    await target.ConnectAsync(targetEndPoint, connectTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException("connect timed out");
                }
            }

            SocketRelayConnection connection;
            lock (_gate)
            {
                connection = _idleConnections.TryPop(out var idle) ? idle : new SocketRelayConnection(_pipeOptions, _counters);
                connection.Attach(client, target);
                _managed.Add(connection);
            }

            handedOff = true;
            string reason;
            try
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    connection.Abort("forwarder stopped");
                }

                reason = await connection.RunAsync().ConfigureAwait(false);
            }
            finally
            {
                lock (_gate)
                {
                    _managed.Remove(connection);
                    if (_idleConnections.Count < RetainedConnections)
                    {
                        _idleConnections.Push(connection);
                    }
                }

                Interlocked.Decrement(ref _counters.Active);
            }

            ForwardingLog.TcpConnectionEnded(_logger, remote, reason);
        }
        catch (Exception ex) when (ex is SocketException or NatMapException or TimeoutException or OperationCanceledException)
        {
            if (!handedOff)
            {
                Interlocked.Increment(ref _counters.Failed);
                ForwardingLog.TargetUnreachable(_logger, _resolver!.Host + ":" + _resolver.Port, remote,
                    ex is SocketException se ? se.SocketErrorCode.ToString() : ex.Message);
            }
        }
        finally
        {
            if (!handedOff)
            {
                target?.Dispose();
                client.Dispose();
                Interlocked.Decrement(ref _counters.Active);
            }
        }
    }

    /// <summary>No Nagle and keepalive, for every socket of a connection (accepted or towards the target).</summary>
    private void PrepareSocket(Socket socket)
    {
        socket.NoDelay = true;
        if (_options.KeepAliveTime != Timeout.InfiniteTimeSpan
            && !LinuxSocketOptions.TrySetKeepAlive(socket, _options.KeepAliveTime, _options.KeepAliveInterval, _options.KeepAliveProbeCount, out var error)
            && Interlocked.Exchange(ref _keepAliveWarned, 1) == 0)
        {
            ForwardingLog.KeepAliveFailed(_logger, error);
        }
    }

    /// <summary>The target-side socket of a relayed connection, with the options both sockets take (no Nagle, keepalive, congestion control).</summary>
    private Socket CreateTargetSocket(Socket client, AddressFamily family)
    {
        var target = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
        PrepareSocket(client);
        PrepareSocket(target);
        if (_options.CongestionControl is { } algorithm
            && !LinuxSocketOptions.TrySetCongestionControl(target, algorithm, out var ccError))
        {
            ForwardingLog.CongestionControlFailed(_logger, algorithm, ccError);
        }

        return target;
    }

    /// <summary>
    /// Aborts a connection the sweep found idle, unless it ended in the meantime: a pooled
    /// connection may already serve a new client. Under the gate, so it cannot be reused meanwhile.
    /// </summary>
    private void AbortIfTracked(RelayedConnection connection, string reason)
    {
        lock (_gate)
        {
            if (_managed.Contains(connection))
            {
                connection.Abort(reason);
            }
        }
    }

    private void CollectIdle(long cutoff, List<RelayedConnection> idle)
    {
        lock (_gate)
        {
            foreach (var connection in _managed)
            {
                if (connection.LastActivity < cutoff)
                {
                    idle.Add(connection);
                }
            }
        }
    }
}
