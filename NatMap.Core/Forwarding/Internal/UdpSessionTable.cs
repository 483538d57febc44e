using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// The sessions of a <see cref="UdpForwarder"/>, keyed by the client's <see cref="SocketAddress"/>
/// so that a lookup allocates nothing: opening one on a client's first datagram (a socket connected
/// to the target, resolved again per session when the target is a host name), refusing new clients
/// at the limit, closing them, and collecting the idle ones for the sweeper.
/// </summary>
internal sealed class UdpSessionTable
{
    private readonly object _gate = new();
    private readonly Dictionary<SocketAddress, UdpSession> _sessions = [];
    private readonly TargetResolver _resolver;
    private readonly int _maxSessions;
    private readonly UdpRelayCounters _counters;
    private readonly ILogger _logger;
    private readonly IPEndPoint _endPointTemplate;
    private bool _refusing;

    public UdpSessionTable(TargetResolver resolver, int maxSessions, IPEndPoint endPointTemplate, UdpRelayCounters counters, ILogger logger)
    {
        _resolver = resolver;
        _maxSessions = maxSessions;
        _endPointTemplate = endPointTemplate;
        _counters = counters;
        _logger = logger;
    }

    /// <summary>Relays each new session's replies; set once, before the first datagram.</summary>
    public UdpReplyRelay? Relay { get; set; }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>The client's session, opened on its first datagram; touched, as a datagram is about to move. Null when refused, failed or still resolving.</summary>
    public UdpSession? Find(SocketAddress from, ReadOnlySpan<byte> firstDatagram)
    {
        UdpSession? session;
        lock (_gate)
        {
            _sessions.TryGetValue(from, out session);
        }

        session ??= Open(from, firstDatagram);
        session?.Touch();
        return session;
    }

    /// <summary>
    /// Resolves the target host name and connects a session's socket, off the receive loop; sends
    /// the session's first datagram. Null when resolution or connect failed, or the session closed meanwhile.
    /// </summary>
    public async Task<Socket?> ConnectResolvedAsync(UdpSession session, byte[] firstDatagram, CancellationToken cancellationToken)
    {
        Socket socket;
        IPEndPoint target;
        try
        {
            target = await _resolver.ResolveAsync(cancellationToken).ConfigureAwait(false);
            socket = ConnectTarget(target);
        }
        catch (Exception ex) when (ex is NatMapException or SocketException or OperationCanceledException)
        {
            ForwardingLog.UdpSessionFailed(_logger, _resolver.Host, ex.Message);
            return null;
        }

        session.Socket = socket;
        if (session.IsClosed)
        {
            socket.Dispose();
            return null;
        }

        LogOpened(session, target);
        socket.Send(firstDatagram, SocketFlags.None, out _);
        return socket;
    }

    public void Remove(UdpSession session, string reason)
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

    public void CollectIdle(long cutoff, List<UdpSession> idle)
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

    /// <summary>Closes every session and waits for their reply loops to end.</summary>
    public async Task CloseAllAsync()
    {
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
    }

    private UdpSession? Open(SocketAddress from, ReadOnlySpan<byte> firstDatagram)
    {
        lock (_gate)
        {
            if (_sessions.Count >= _maxSessions)
            {
                Interlocked.Increment(ref _counters.Refused);
                if (!_refusing)
                {
                    _refusing = true;
                    ForwardingLog.UdpSessionRefused(_logger, _endPointTemplate.Create(from), _maxSessions);
                }

                return null;
            }
        }

        var key = new SocketAddress(from.Family, from.Size);
        from.Buffer.Span[..from.Size].CopyTo(key.Buffer.Span);
        var session = new UdpSession(key, _endPointTemplate);
        var relay = Relay!;
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

            LogOpened(session, target);
            Add(session);
            session.Relay = relay.RunAsync(session, session.Socket, null);
            return session;
        }

        // A host name: resolve off the receive loop; datagrams arriving meanwhile are dropped.
        Add(session);
        session.Relay = relay.RunAsync(session, null, firstDatagram.ToArray());
        return null;
    }

    private void Add(UdpSession session)
    {
        lock (_gate)
        {
            _sessions[session.ClientAddress] = session;
        }

        Interlocked.Increment(ref _counters.Opened);
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

    /// <summary>The client's endpoint object is made only when the message is written.</summary>
    private void LogOpened(UdpSession session, IPEndPoint target)
    {
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            ForwardingLog.UdpSessionOpened(_logger, session.ClientEndPoint, target);
        }
    }
}
