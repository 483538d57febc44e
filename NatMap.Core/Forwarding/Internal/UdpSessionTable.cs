using System.Net;
using Microsoft.Extensions.Logging;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// The sessions of a <see cref="UdpForwarder"/>, keyed by the client's <see cref="SocketAddress"/>
/// so that a lookup allocates nothing: finding a client's session, having the opener open one on
/// a client's first datagram, refusing new clients at the limit, closing them, and collecting the
/// idle ones for the sweeper.
/// </summary>
internal sealed class UdpSessionTable
{
    private readonly object _gate = new();
    private readonly Dictionary<SocketAddress, UdpSession> _sessions = new(AddressComparer.Instance);
    private readonly int _maxSessions;
    private readonly UdpRelayCounters _counters;
    private readonly ILogger _logger;
    private bool _refusing;

    public UdpSessionTable(int maxSessions, IPEndPoint endPointTemplate, UdpRelayCounters counters, ILogger logger)
    {
        _maxSessions = maxSessions;
        EndPointTemplate = endPointTemplate;
        _counters = counters;
        _logger = logger;
    }

    /// <summary>Opens the sessions; set once, before the first datagram.</summary>
    public IUdpSessionOpener? Opener { get; set; }

    /// <summary>The listening endpoint: its family makes the clients' endpoint objects.</summary>
    public IPEndPoint EndPointTemplate { get; }

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

    /// <summary>
    /// The client's session, opened on its first datagram; touched, as a datagram is about to move.
    /// Null when refused or failed; a session whose target is still being resolved has no socket yet.
    /// </summary>
    public UdpSession? Find(SocketAddress from, ReadOnlySpan<byte> firstDatagram)
    {
        lock (_gate)
        {
            if (_sessions.TryGetValue(from, out var session))
            {
                session.Touch();
                return session;
            }

            if (_sessions.Count >= _maxSessions)
            {
                Interlocked.Increment(ref _counters.Refused);
                if (!_refusing)
                {
                    _refusing = true;
                    ForwardingLog.UdpSessionRefused(_logger, EndPointTemplate.Create(from), _maxSessions);
                }

                return null;
            }
        }

        return Opener!.Open(from, firstDatagram);
    }

    public void Add(UdpSession session)
    {
        lock (_gate)
        {
            _sessions[session.ClientAddress] = session;
        }

        Interlocked.Increment(ref _counters.Opened);
    }

    /// <summary>Takes the session out of the table and closes it; false when it was no longer there.</summary>
    public bool Remove(UdpSession session, string reason)
    {
        bool removed;
        lock (_gate)
        {
            removed = _sessions.TryGetValue(session.ClientAddress, out var current) && ReferenceEquals(current, session)
                && _sessions.Remove(session.ClientAddress);
            _refusing = _refusing && _sessions.Count >= _maxSessions;
        }

        if (removed && _logger.IsEnabled(LogLevel.Debug))
        {
            ForwardingLog.UdpSessionClosed(_logger, session.ClientEndPoint, reason);
        }

        session.Close();
        return removed;
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

    /// <summary>Closes every session and waits for their reply or resolution loops to end.</summary>
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

    /// <summary>Logs a new session; the client's endpoint object is made only when the message is written.</summary>
    public void LogOpened(UdpSession session, EndPoint target)
    {
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            ForwardingLog.UdpSessionOpened(_logger, session.ClientEndPoint, target);
        }
    }

    /// <summary>
    /// Compares the first <see cref="SocketAddress.Size"/> bytes only: a reused session's key has
    /// room for any address, and SocketAddress's own equality compares whole buffers.
    /// </summary>
    private sealed class AddressComparer : IEqualityComparer<SocketAddress>
    {
        public static readonly AddressComparer Instance = new();

        public bool Equals(SocketAddress? x, SocketAddress? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && x.Buffer.Span[..x.Size].SequenceEqual(y.Buffer.Span[..y.Size]));

        public int GetHashCode(SocketAddress address)
        {
            var hash = default(HashCode);
            hash.AddBytes(address.Buffer.Span[..address.Size]);
            return hash.ToHashCode();
        }
    }
}
