using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NatMap.Internal;
using NatMap.Diagnostics.Internal;
using NatMap.Forwarding.Internal;
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
/// refused. On 64-bit Linux one thread of the forwarder's own receives from the listening socket
/// in recvmmsg(2) batches and passes each client's run of datagrams on with one sendmmsg(2) call;
/// each session drains its target's replies the same way. For keeping a NAT mapping open from the
/// listening socket itself, datagrams can be
/// sent from it with <see cref="SendFromListener"/>, and datagrams from endpoints registered with
/// <see cref="AddControlEndPoint"/> go to <see cref="UdpForwarderOptions.ControlDatagramHandler"/>
/// instead of being relayed.
/// </remarks>
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
    private readonly UdpControlDatagramHandler? _controlHandler;
    private readonly object _gate = new();
    private readonly Dictionary<SocketAddress, UdpSession> _sessions = [];
    private readonly RelayBufferPool _buffers = new(MaxDatagram, retain: 16);
    private readonly UdpDatagramBatchPool? _replyBatches =
        UdpDatagramBatch.IsSupported ? new(MaxDatagram, capacity: 8, maxOutstanding: 8, retain: 2) : null;
    private readonly Stack<UdpReplyWaiter> _waiters = new();
    private readonly CancellationTokenSource _stopping = new();
    private UdpControlEndPoint[] _controls = [];
    private Socket? _listener;
    private IPEndPoint? _localEndPoint;
    private Task? _receiveLoop;
    private Task? _sweepLoop;
    private readonly ForwarderLifecycle _lifecycle = new();
    private bool _refusing;
    private long _sessionsOpened;
    private long _sessionsRefused;
    private long _datagramsToTarget;
    private long _datagramsFromTarget;
    private long _bytesToTarget;
    private long _bytesFromTarget;
    private long _datagramsDropped;

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
        _controlHandler = options.ControlDatagramHandler;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<UdpForwarder>();
    }

    /// <summary>The endpoint the forwarder listens on (with the actual port when 0 was asked).</summary>
    /// <exception cref="InvalidOperationException">The forwarder has not been started.</exception>
    public IPEndPoint LocalEndPoint => _localEndPoint ?? throw new InvalidOperationException("The forwarder has not been started.");

    /// <summary>Sessions open now.</summary>
    public int ActiveSessions
    {
        get
        {
            lock (_gate)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>Sessions opened since start.</summary>
    public long OpenedSessions => Interlocked.Read(ref _sessionsOpened);

    /// <summary>Datagrams dropped because they came from a new client while <see cref="UdpForwarderOptions.MaxSessions"/> sessions were open.</summary>
    public long RefusedDatagrams => Interlocked.Read(ref _sessionsRefused);

    /// <summary>Datagrams relayed from clients to the target.</summary>
    public long DatagramsToTarget => Interlocked.Read(ref _datagramsToTarget);

    /// <summary>Datagrams relayed from the target to clients.</summary>
    public long DatagramsFromTarget => Interlocked.Read(ref _datagramsFromTarget);

    /// <summary>Payload bytes relayed from clients to the target.</summary>
    public long BytesToTarget => Interlocked.Read(ref _bytesToTarget);

    /// <summary>Payload bytes relayed from the target to clients.</summary>
    public long BytesFromTarget => Interlocked.Read(ref _bytesFromTarget);

    /// <summary>Datagrams that could not be passed on (socket buffer full, session still resolving the target, send error).</summary>
    public long DroppedDatagrams => Interlocked.Read(ref _datagramsDropped);

    string IForwarderMetricsSource.MetricsProtocol => "udp";

    int IForwarderMetricsSource.MetricsLocalPort => _localEndPoint?.Port ?? 0;

    /// <summary>Binds <see cref="UdpForwarderOptions.ListenEndPoint"/> and starts relaying.</summary>
    /// <exception cref="NatMapException">The endpoint cannot be bound (<see cref="NatMapErrorKind.BindFailed"/>).</exception>
    /// <exception cref="InvalidOperationException">The forwarder was already started.</exception>
    public void Start() =>
        Start(ForwarderSocket.Bind(_listenEndPoint, ProtocolType.Udp, _reuseAddress, _logger));

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
        ForwardingLog.UdpStarted(_logger, _localEndPoint, _resolver.Host, _resolver.Port);
        ForwarderMetricsRegistry.Register(this);
        _receiveLoop = UdpDatagramBatch.IsSupported ? StartReceiveThread(boundSocket) : ReceiveLoopAsync(boundSocket, _stopping.Token);
        if (_idleTimeout != Timeout.InfiniteTimeSpan)
        {
            _sweepLoop = IdleSweeper.RunAsync<UdpSession>(_idleTimeout, CollectIdle, session => Remove(session, "idle timeout"), _stopping.Token);
        }
    }

    /// <summary>Starts <see cref="ReceiveBatches"/> on its own thread, woken for stop through an eventfd; the task ends with the thread.</summary>
    private unsafe Task StartReceiveThread(Socket listener)
    {
        int wakeFd = LinuxIo.EventFd(0, LinuxIo.ONonBlock | LinuxIo.OCloExec);
        if (wakeFd < 0)
        {
            return ReceiveLoopAsync(listener, _stopping.Token);
        }

        var token = _stopping.Token;
        var wake = token.UnsafeRegister(static state =>
        {
            ulong one = 1;
            LinuxIo.Write((int)state!, (byte*)&one, sizeof(ulong));
        }, wakeFd);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                ReceiveBatches(listener, wakeFd, token);
            }
            finally
            {
                // Unregistered (waiting for a running callback) before the descriptor is closed,
                // so a later stop never writes to a number the process has reused.
                wake.Dispose();
                LinuxIo.Close(wakeFd);
                done.SetResult();
            }
        })
        {
            IsBackground = true,
            Name = "NatMap UDP relay",
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>
    /// Diverts datagrams from <paramref name="endPoint"/> to <see cref="UdpForwarderOptions.ControlDatagramHandler"/>
    /// instead of relaying them (for example the STUN server that answers keep-alive checks sent
    /// with <see cref="SendFromListener"/>). May be called at any time, from any thread.
    /// </summary>
    /// <param name="endPoint">The remote endpoint, as the listening socket sees it.</param>
    public void AddControlEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        lock (_gate)
        {
            _controls = [.. _controls, new UdpControlEndPoint(endPoint)];
        }
    }

    /// <summary>Stops diverting datagrams from <paramref name="endPoint"/>.</summary>
    /// <param name="endPoint">An endpoint given to <see cref="AddControlEndPoint"/>.</param>
    /// <returns>True if it was registered.</returns>
    public bool RemoveControlEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        lock (_gate)
        {
            var kept = Array.FindAll(_controls, c => !c.EndPoint.Equals(endPoint));
            bool removed = kept.Length != _controls.Length;
            _controls = kept;
            return removed;
        }
    }

    /// <summary>
    /// Sends one datagram from the listening socket, so that it leaves from the forwarded port
    /// (a NAT keep-alive, or a STUN Binding request whose answer comes back through
    /// <see cref="UdpForwarderOptions.ControlDatagramHandler"/>).
    /// </summary>
    /// <param name="datagram">The payload.</param>
    /// <param name="remoteEndPoint">Where to send it.</param>
    /// <exception cref="NatMapException">The send failed (<see cref="NatMapErrorKind.NetworkError"/>).</exception>
    /// <exception cref="InvalidOperationException">The forwarder is not running.</exception>
    public void SendFromListener(ReadOnlySpan<byte> datagram, IPEndPoint remoteEndPoint)
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

        UdpSession[] sessions;
        lock (_gate)
        {
            sessions = [.. _sessions.Values];
            _sessions.Clear();
        }

        foreach (var session in sessions)
        {
            session.Close();
        }

        foreach (var session in sessions)
        {
            if (session.Relay is { } relay)
            {
                await relay.ConfigureAwait(false);
            }
        }

        _replyBatches?.Dispose();
        lock (_waiters)
        {
            while (_waiters.TryPop(out var waiter))
            {
                waiter.Dispose();
            }
        }

        ForwarderMetricsRegistry.Unregister(this);
        ForwardingLog.UdpStopped(_logger, _localEndPoint);
        _stopping.Dispose();
    }

    /// <summary>Same as <see cref="StopAsync"/>.</summary>
    /// <returns>A task that completes when everything is closed.</returns>
    public ValueTask DisposeAsync() => new(StopAsync());

    ForwarderCounts IForwarderMetricsSource.ReadMetricsCounts() =>
        new(ActiveSessions, OpenedSessions, RefusedDatagrams, 0, BytesToTarget, BytesFromTarget);

    private async Task ReceiveLoopAsync(Socket listener, CancellationToken cancellationToken)
    {
        await Task.Yield();
        byte[] buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram, pinned: true);
        var from = new SocketAddress(listener.AddressFamily);
        while (!cancellationToken.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await listener.ReceiveFromAsync(buffer, SocketFlags.None, from, cancellationToken).ConfigureAwait(false);
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
                // An ICMP error for an earlier send, or a transient failure: only that datagram is lost.
                ForwardingLog.UdpReceiveFailed(_logger, _localEndPoint, ex.SocketErrorCode);
                continue;
            }

            Dispatch(buffer.AsSpan(0, received), from);
        }
    }

    /// <summary>
    /// Linux: a thread of its own waits in poll(2) for the listening socket (or the stop signal),
    /// then takes up to a batch of datagrams per recvmmsg(2) call and passes each run of datagrams
    /// from one client on with one sendmmsg(2) call, instead of a system call per datagram each
    /// way. One thread wake per batch: no epoll thread handing work to a thread-pool thread.
    /// </summary>
    private unsafe void ReceiveBatches(Socket listener, int wakeFd, CancellationToken cancellationToken)
    {
        using var batch = new UdpDatagramBatch(MaxDatagram);
        var from = new SocketAddress(listener.AddressFamily);
        byte* fds = stackalloc byte[2 * LinuxIo.PollFdSize];
        SafeHandle handle = listener.SafeHandle;
        bool added = false;
        try
        {
            // Held for the loop's lifetime, so the descriptor cannot be closed and reused under poll.
            handle.DangerousAddRef(ref added);
            Unsafe.WriteUnaligned(fds, (int)handle.DangerousGetHandle());
            Unsafe.WriteUnaligned(fds + 4, LinuxIo.PollIn);
            Unsafe.WriteUnaligned(fds + LinuxIo.PollFdSize, wakeFd);
            Unsafe.WriteUnaligned(fds + LinuxIo.PollFdSize + 4, LinuxIo.PollIn);
            while (!cancellationToken.IsCancellationRequested)
            {
                Unsafe.WriteUnaligned(fds + 6, (short)0);
                Unsafe.WriteUnaligned(fds + LinuxIo.PollFdSize + 6, (short)0);
                if (LinuxIo.Poll(fds, 2, -1) < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == LinuxIo.EINTR)
                    {
                        continue;
                    }

                    ForwardingLog.UdpReceiveFailed(_logger, _localEndPoint, SocketErrorClassifier.FromErrno(errno));
                    break;
                }

                if (Unsafe.ReadUnaligned<short>(fds + LinuxIo.PollFdSize + 6) != 0)
                {
                    break;
                }

                int count;
                do
                {
                    count = batch.Receive(listener);
                    if (count == -LinuxIo.EBADF)
                    {
                        // The socket was disposed (by stop, after the wake-up was signalled).
                        return;
                    }

                    if (count < 0)
                    {
                        // An ICMP error for an earlier send, reported (and cleared) by this receive;
                        // poll says whether datagrams are still waiting.
                        ForwardingLog.UdpReceiveFailed(_logger, _localEndPoint, SocketErrorClassifier.FromErrno(-count));
                        break;
                    }

                    int start = 0;
                    while (start < count)
                    {
                        int end = start + 1;
                        while (end < count && batch.SameSender(start, end))
                        {
                            end++;
                        }

                        DispatchRun(batch, start, end - start, batch.Sender(start, from));
                        start = end;
                    }
                }
                while (count == batch.Capacity);
            }
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private void Dispatch(ReadOnlySpan<byte> datagram, SocketAddress from)
    {
        if (TryDeliverControl(datagram, from) || FindSession(from, datagram)?.Socket is not { } socket)
        {
            return;
        }

        SocketError error;
        try
        {
            socket.Send(datagram, SocketFlags.None, out error);
        }
        catch (ObjectDisposedException)
        {
            // The session expired between lookup and send.
            error = SocketError.OperationAborted;
        }

        if (error == SocketError.Success)
        {
            Interlocked.Increment(ref _datagramsToTarget);
            Interlocked.Add(ref _bytesToTarget, datagram.Length);
        }
        else
        {
            // WouldBlock (socket buffer full) or an ICMP error from an earlier datagram: UDP may drop.
            Interlocked.Increment(ref _datagramsDropped);
        }
    }

    /// <summary>Relays <paramref name="count"/> datagrams of the batch that all came from <paramref name="from"/>.</summary>
    private void DispatchRun(UdpDatagramBatch batch, int start, int count, SocketAddress from)
    {
        if (TryDeliverControl(batch.Datagram(start), from))
        {
            for (int i = start + 1; i < start + count; i++)
            {
                TryDeliverControl(batch.Datagram(i), from);
            }

            return;
        }

        if (FindSession(from, batch.Datagram(start))?.Socket is not { } socket)
        {
            return;
        }

        int sent = batch.Send(socket, start, count, to: null, out long bytes);
        CountBatch(ref _datagramsToTarget, ref _bytesToTarget, count, sent, bytes);
    }

    /// <summary>Counts a batch of <paramref name="count"/> datagrams of which <paramref name="sent"/> went on; the rest are dropped.</summary>
    private void CountBatch(ref long datagrams, ref long bytesMoved, int count, int sent, long bytes)
    {
        Interlocked.Add(ref datagrams, sent);
        Interlocked.Add(ref bytesMoved, bytes);
        if (sent < count)
        {
            Interlocked.Add(ref _datagramsDropped, count - sent);
        }
    }

    /// <summary>Hands a datagram from a registered control endpoint to the handler; false when the sender is a client.</summary>
    private bool TryDeliverControl(ReadOnlySpan<byte> datagram, SocketAddress from)
    {
        var controls = Volatile.Read(ref _controls);
        for (int i = 0; i < controls.Length; i++)
        {
            if (controls[i].Matches(from))
            {
                DeliverControl(datagram, controls[i].EndPoint);
                return true;
            }
        }

        return false;
    }

    /// <summary>The client's session, opened on its first datagram; touched, as a datagram is about to move.</summary>
    private UdpSession? FindSession(SocketAddress from, ReadOnlySpan<byte> firstDatagram)
    {
        UdpSession? session;
        lock (_gate)
        {
            _sessions.TryGetValue(from, out session);
        }

        session ??= OpenSession(from, firstDatagram);
        session?.Touch();
        return session;
    }

    private void DeliverControl(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        if (_controlHandler is null)
        {
            return;
        }

        try
        {
            _controlHandler(datagram, from);
        }
        catch (Exception ex)
        {
            ForwardingLog.ControlHandlerFailed(_logger, ex);
        }
    }

    private UdpSession? OpenSession(SocketAddress from, ReadOnlySpan<byte> firstDatagram)
    {
        lock (_gate)
        {
            if (_sessions.Count >= _maxSessions)
            {
                Interlocked.Increment(ref _sessionsRefused);
                if (!_refusing)
                {
                    _refusing = true;
                    ForwardingLog.UdpSessionRefused(_logger, _localEndPoint!.Create(from), _maxSessions);
                }

                return null;
            }
        }

        var key = new SocketAddress(from.Family, from.Size);
        from.Buffer.Span[..from.Size].CopyTo(key.Buffer.Span);
        var session = new UdpSession(key, _localEndPoint!);
        if (_resolver.Literal is { } target)
        {
            try
            {
                session.Socket = ConnectTarget(target);
            }
            catch (SocketException ex)
            {
                ForwardingLog.UdpSessionFailed(_logger, target.ToString(), ex.SocketErrorCode.ToString());
                return null;
            }

            LogSessionOpened(session, target);
            Add(session);
            session.Relay = RelayRepliesAsync(session, session.Socket, null);
            return session;
        }

        // A host name: resolve off the receive loop; datagrams arriving meanwhile are dropped.
        Add(session);
        session.Relay = RelayRepliesAsync(session, null, firstDatagram.ToArray());
        return null;
    }

    private void Add(UdpSession session)
    {
        lock (_gate)
        {
            _sessions[session.ClientAddress] = session;
        }

        Interlocked.Increment(ref _sessionsOpened);
    }

    private static Socket ConnectTarget(IPEndPoint target)
    {
        var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Connect(target);
            socket.Blocking = false;
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Relays the target's replies for one session. It waits with a zero-byte MSG_PEEK receive,
    /// which does not consume the datagram, so an idle session holds no buffer; it then drains
    /// the socket with non-blocking receives into one pooled buffer.
    /// </summary>
    private async Task RelayRepliesAsync(UdpSession session, Socket? socket, byte[]? firstDatagram)
    {
        byte[]? buffer = null;
        UdpReplyWaiter? waiter = null;
        try
        {
            if (socket is null)
            {
                // Off the receive loop before resolving. With a literal target the first await is
                // the wait for a reply, which is pending (the first datagram has not been sent yet).
                await Task.Yield();
                IPEndPoint target;
                try
                {
                    target = await _resolver.ResolveAsync(_stopping.Token).ConfigureAwait(false);
                    socket = ConnectTarget(target);
                }
                catch (Exception ex) when (ex is NatMapException or SocketException or OperationCanceledException)
                {
                    ForwardingLog.UdpSessionFailed(_logger, _resolver.Host, ex.Message);
                    return;
                }

                session.Socket = socket;
                if (session.IsClosed)
                {
                    socket.Dispose();
                    return;
                }

                LogSessionOpened(session, target);
                if (firstDatagram is not null)
                {
                    socket.Send(firstDatagram, SocketFlags.None, out _);
                }
            }

            waiter = RentWaiter();
            while (true)
            {
                SocketError waited = await waiter.WaitAsync(socket).ConfigureAwait(false);
                if (waited == SocketError.ConnectionRefused)
                {
                    // ICMP port unreachable from the target: it may come back, keep the session.
                    continue;
                }

                if (waited != SocketError.Success)
                {
                    // OperationAborted: the session was closed (idle, or the forwarder stopping).
                    return;
                }

                if (_replyBatches is not null && _replyBatches.TryRent(out var batch))
                {
                    bool open;
                    try
                    {
                        open = RelayReplyBatches(session, socket, batch);
                    }
                    finally
                    {
                        _replyBatches.Return(batch);
                    }

                    if (!open)
                    {
                        return;
                    }

                    continue;
                }

                buffer = _buffers.Rent();
                while (true)
                {
                    int received = socket.Receive(buffer, SocketFlags.None, out SocketError error);
                    if (error == SocketError.WouldBlock)
                    {
                        break;
                    }

                    if (error != SocketError.Success)
                    {
                        if (error == SocketError.ConnectionRefused)
                        {
                            continue;
                        }

                        return;
                    }

                    session.Touch();
                    try
                    {
                        _listener!.SendTo(buffer.AsSpan(0, received), SocketFlags.None, session.ClientAddress);
                        Interlocked.Increment(ref _datagramsFromTarget);
                        Interlocked.Add(ref _bytesFromTarget, received);
                    }
                    catch (SocketException)
                    {
                        Interlocked.Increment(ref _datagramsDropped);
                    }
                }

                _buffers.Return(buffer);
                buffer = null;
            }
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (buffer is not null)
            {
                _buffers.Return(buffer);
            }

            Remove(session, "closed");
            if (waiter is not null)
            {
                ReturnWaiter(waiter);
            }
        }
    }

    private UdpReplyWaiter RentWaiter()
    {
        lock (_waiters)
        {
            if (_waiters.TryPop(out var waiter))
            {
                return waiter;
            }
        }

        return new UdpReplyWaiter();
    }

    /// <summary>Keeps up to 256 waiters for the next sessions (a waiter is a few hundred bytes; 256 covers a churn of 50 new clients a second at a 5 s idle timeout).</summary>
    private void ReturnWaiter(UdpReplyWaiter waiter)
    {
        lock (_waiters)
        {
            if (_waiters.Count < 256)
            {
                _waiters.Push(waiter);
                return;
            }
        }

        waiter.Dispose();
    }

    /// <summary>
    /// Drains the target's replies of one session in batches: recvmmsg from the session's socket,
    /// then sendmmsg of the whole batch from the listening socket to the client. False when the
    /// session's socket failed for good.
    /// </summary>
    private bool RelayReplyBatches(UdpSession session, Socket socket, UdpDatagramBatch batch)
    {
        while (true)
        {
            int count = batch.Receive(socket);
            if (count == -LinuxIo.ECONNREFUSED)
            {
                // ICMP port unreachable from the target: it may come back, keep the session.
                continue;
            }

            if (count <= 0)
            {
                return count == 0;
            }

            session.Touch();
            int sent = batch.Send(_listener!, 0, count, session.ClientAddress, out long bytes);
            CountBatch(ref _datagramsFromTarget, ref _bytesFromTarget, count, sent, bytes);

            if (count < batch.Capacity)
            {
                return true;
            }
        }
    }

    private void Remove(UdpSession session, string reason)
    {
        bool removed;
        lock (_gate)
        {
            removed = _sessions.TryGetValue(session.ClientAddress, out var current) && ReferenceEquals(current, session)
                && _sessions.Remove(session.ClientAddress);
            _refusing = _refusing && _sessions.Count >= _maxSessions;
        }

        session.Close();
        if (removed && _logger.IsEnabled(LogLevel.Debug))
        {
            ForwardingLog.UdpSessionClosed(_logger, session.ClientEndPoint, reason);
        }
    }

    /// <summary>The client's endpoint object is made only when the message is written.</summary>
    private void LogSessionOpened(UdpSession session, IPEndPoint target)
    {
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            ForwardingLog.UdpSessionOpened(_logger, session.ClientEndPoint, target);
        }
    }

    private void CollectIdle(long cutoff, List<UdpSession> idle)
    {
        lock (_gate)
        {
            foreach (var session in _sessions.Values)
            {
                if (session.LastActivity < cutoff)
                {
                    idle.Add(session);
                }
            }
        }
    }
}
