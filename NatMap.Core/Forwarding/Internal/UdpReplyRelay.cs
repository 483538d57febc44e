using System.Net.Sockets;
using NatMap.Sockets.Internal;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// Relays the target's replies of each <see cref="UdpForwarder"/> session back to its client, from
/// the listening socket. A session waits with a zero-byte MSG_PEEK receive, which does not consume
/// the datagram, so an idle session holds no buffer; it then drains its socket, in recvmmsg and
/// sendmmsg batches where the platform has them, else one datagram at a time into a pooled buffer.
/// </summary>
internal sealed class UdpReplyRelay : IDisposable
{
    /// <summary>
    /// Waiters kept for the next sessions: a waiter is a few hundred bytes, and 256 covers a churn
    /// of 50 new clients a second at a 5 s idle timeout.
    /// </summary>
    private const int RetainedWaiters = 256;

    private readonly Socket _listener;
    private readonly UdpSessionTable _sessions;
    private readonly UdpRelayCounters _counters;
    private readonly CancellationToken _stopping;
    private readonly RelayBufferPool _buffers;
    private readonly UdpDatagramBatchPool? _batches;
    private readonly Stack<UdpReplyWaiter> _waiters = new();

    public UdpReplyRelay(Socket listener, UdpSessionTable sessions, UdpRelayCounters counters, int maxDatagram, CancellationToken stopping)
    {
        _listener = listener;
        _sessions = sessions;
        _counters = counters;
        _stopping = stopping;
        _buffers = new RelayBufferPool(maxDatagram, retain: 16);
        _batches = UdpDatagramBatch.IsSupported ? new UdpDatagramBatchPool(maxDatagram, capacity: 8, maxOutstanding: 8, retain: 2) : null;
    }

    /// <summary>
    /// Relays one session's replies until its socket closes; <paramref name="socket"/> is null when
    /// the target is a host name still to be resolved, and then <paramref name="firstDatagram"/> is
    /// sent once it is connected.
    /// </summary>
    public async Task RunAsync(UdpSession session, Socket? socket, byte[]? firstDatagram)
    {
        UdpReplyWaiter? waiter = null;
        try
        {
            if (socket is null)
            {
                // Off the receive loop before resolving. With a literal target the first await is
                // the wait for a reply, which is pending (the first datagram has not been sent yet).
                await Task.Yield();
                socket = await _sessions.ConnectResolvedAsync(session, firstDatagram!, _stopping).ConfigureAwait(false);
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
        _batches?.Dispose();
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
        if (_batches is not null && _batches.TryRent(out var batch))
        {
            try
            {
                return DrainBatches(session, socket, batch);
            }
            finally
            {
                _batches.Return(batch);
            }
        }

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
    /// Drains the target's replies of one session in batches: recvmmsg from the session's socket,
    /// then sendmmsg of the whole batch from the listening socket to the client. False when the
    /// session's socket failed for good.
    /// </summary>
    private bool DrainBatches(UdpSession session, Socket socket, UdpDatagramBatch batch)
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
            int sent = batch.Send(_listener, 0, count, session.ClientAddress, out long bytes);
            Interlocked.Add(ref _counters.DatagramsFromTarget, sent);
            Interlocked.Add(ref _counters.BytesFromTarget, bytes);
            if (count < batch.Capacity)
            {
                return true;
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
