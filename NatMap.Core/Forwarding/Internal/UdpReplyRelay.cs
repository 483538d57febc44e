using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Sockets.Internal;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// The portable path of a <see cref="UdpForwarder"/> for the target's replies: opens each new
/// client's session (a socket connected to the target, resolved again per session when the target
/// is a host name) and relays its replies back to the client from the listening socket. A session
/// waits with a zero-byte MSG_PEEK receive, which does not consume the datagram, so an idle
/// session holds no buffer; it then drains its socket one datagram at a time into a pooled buffer.
/// </summary>
internal sealed class UdpReplyRelay : IUdpSessionOpener, IDisposable
{
    /// <summary>
    /// Waiters kept for the next sessions: a waiter is a few hundred bytes, and 256 covers a churn
    /// of 50 new clients a second at a 5 s idle timeout.
    /// </summary>
    private const int RetainedWaiters = 256;

    private readonly Socket _listener;
    private readonly UdpSessionTable _sessions;
    private readonly TargetResolver _resolver;
    private readonly UdpRelayCounters _counters;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private readonly RelayBufferPool _buffers;
    private readonly Stack<UdpReplyWaiter> _waiters = new();

    public UdpReplyRelay(Socket listener, UdpSessionTable sessions, TargetResolver resolver, UdpRelayCounters counters, int maxDatagram, ILogger logger, CancellationToken stopping)
    {
        _listener = listener;
        _sessions = sessions;
        _resolver = resolver;
        _counters = counters;
        _logger = logger;
        _stopping = stopping;
        _buffers = new RelayBufferPool(maxDatagram, retain: 16);
        sessions.Opener = this;
    }

    public UdpSession? Open(SocketAddress from, ReadOnlySpan<byte> firstDatagram)
    {
        var session = new UdpSession(from, _sessions.EndPointTemplate);
        if (_resolver.Literal is { } target)
        {
            try
            {
                session.Socket = ConnectTarget(target);
            }
            catch (SocketException ex)
            {
                ForwardingLog.UdpSessionFailed(_logger, target.ToString(), SocketErrorClassifier.Describe(ex));
                return null;
            }

            _sessions.LogOpened(session, target);
            _sessions.Add(session);
            session.Relay = RunAsync(session, session.Socket, null);
            return session;
        }

        // A host name: resolve off the receive loop; datagrams arriving meanwhile are dropped.
        _sessions.Add(session);
        session.Relay = RunAsync(session, null, firstDatagram.ToArray());
        return null;
    }

    /// <summary>
    /// Relays one session's replies until its socket closes; <paramref name="socket"/> is null when
    /// the target is a host name still to be resolved, and then <paramref name="firstDatagram"/> is
    /// sent once it is connected.
    /// </summary>
    private async Task RunAsync(UdpSession session, Socket? socket, byte[]? firstDatagram)
    {
        UdpReplyWaiter? waiter = null;
        try
        {
            if (socket is null)
            {
                // Off the receive loop before resolving. With a literal target the first await is
                // the wait for a reply, which is pending (the first datagram has not been sent yet).
                await Task.Yield();
                socket = await ConnectResolvedAsync(session, firstDatagram!).ConfigureAwait(false);
                if (socket is null)
                {
                    return;
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

                // OperationAborted: the session was closed (idle, or the forwarder stopping).
                if (waited != SocketError.Success || !Drain(session, socket))
                {
                    return;
                }
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
            _sessions.Remove(session, "closed");
            if (waiter is not null)
            {
                ReturnWaiter(waiter);
            }
        }
    }

    public void Dispose()
    {
        lock (_waiters)
        {
            while (_waiters.TryPop(out var waiter))
            {
                waiter.Dispose();
            }
        }
    }

    /// <summary>Passes on what the session's socket holds; false when the socket failed for good.</summary>
    private bool Drain(UdpSession session, Socket socket)
    {
        byte[] buffer = _buffers.Rent();
        try
        {
            while (true)
            {
                int received = socket.Receive(buffer, SocketFlags.None, out SocketError error);
                if (error == SocketError.WouldBlock)
                {
                    return true;
                }

                if (error == SocketError.ConnectionRefused)
                {
                    continue;
                }

                if (error != SocketError.Success)
                {
                    return false;
                }

                session.Touch();
                try
                {
                    _listener.SendTo(buffer.AsSpan(0, received), SocketFlags.None, session.ClientAddress);
                    Interlocked.Increment(ref _counters.DatagramsFromTarget);
                    Interlocked.Add(ref _counters.BytesFromTarget, received);
                }
                catch (SocketException)
                {
                    // Socket buffer full, or an ICMP error from an earlier datagram: UDP may drop.
                }
            }
        }
        finally
        {
            _buffers.Return(buffer);
        }
    }

    /// <summary>
    /// Resolves the target host name and connects a session's socket, off the receive loop; sends
    /// the session's first datagram. Null when resolution or connect failed, or the session closed meanwhile.
    /// </summary>
    private async Task<Socket?> ConnectResolvedAsync(UdpSession session, byte[] firstDatagram)
    {
        Socket socket;
        IPEndPoint target;
        try
        {
            target = await _resolver.ResolveAsync(_stopping).ConfigureAwait(false);
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

        _sessions.LogOpened(session, target);
        socket.Send(firstDatagram, SocketFlags.None, out _);
        return socket;
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

    private void ReturnWaiter(UdpReplyWaiter waiter)
    {
        lock (_waiters)
        {
            if (_waiters.Count < RetainedWaiters)
            {
                _waiters.Push(waiter);
                return;
            }
        }

        waiter.Dispose();
    }
}
