using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using NatMap.Sockets.Internal;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// Relays every session of one <see cref="UdpForwarder"/>, both ways, on a single thread blocked
/// in epoll_wait(2) (64-bit Linux). The listening socket and each session's descriptor connected
/// to the target are in one epoll set. Datagrams move in recvmmsg(2) and sendmmsg(2) batches
/// through one preallocated batch, and the idle sweep runs on the same thread.
/// </summary>
/// <remarks>
/// A session is a bare descriptor and a pooled <see cref="UdpSession"/>, so once the pools are warm
/// a new client allocates nothing: no Socket, SafeHandle, async context or task per session, and
/// nothing for the GC to promote while sessions live out their idle timeout. Only this thread
/// opens, drains and closes sessions, so a descriptor is never closed under a call that uses it.
/// A target given as a host name is resolved off the thread, and the connect is handed back.
/// </remarks>
internal sealed class UdpEventLoop : IUdpSessionOpener
{
    private const int MaxEvents = 64;
    private const ulong WakeToken = ulong.MaxValue;
    private const ulong ListenerToken = ulong.MaxValue - 1;

    /// <summary>
    /// Batches taken from one socket per wake, so that a flood on one socket cannot starve the
    /// others: epoll is level-triggered here, and what is left wakes the loop again.
    /// </summary>
    private const int BatchesPerWake = 4;

    /// <summary>Closed sessions kept for the next clients, about 200 bytes each.</summary>
    private const int RetainedSessions = 1024;

    private readonly int _epollFd;
    private readonly int _wakeFd;
    private readonly Socket _listener;
    private readonly SafeHandle _listenerHandle;
    private readonly int _listenerFd;
    private readonly UdpSessionTable _sessions;
    private readonly UdpControlEndPoints _controls;
    private readonly TargetResolver _resolver;
    private readonly UdpRelayCounters _counters;
    private readonly ILogger _logger;
    private readonly EndPoint _localEndPoint;
    private readonly long _idleMilliseconds;
    private readonly int _sweepMilliseconds;
    private readonly int _maxDatagram;
    private readonly CancellationToken _stopping;
    private readonly ConcurrentQueue<Resolved> _resolved = new();
    private readonly Stack<int> _freeSlots = new();
    private readonly Stack<UdpSession> _pool = new();
    private readonly List<UdpSession> _expired = [];
    private readonly object _wakeGate = new();
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private UdpSession?[] _slots = new UdpSession?[64];
    private int _slotHighWater;
    private bool _wakeClosed;

    private UdpEventLoop(int epollFd, int wakeFd, Socket listener, SafeHandle listenerHandle, UdpSessionTable sessions, UdpControlEndPoints controls,
        TargetResolver resolver, UdpRelayCounters counters, int maxDatagram, TimeSpan idleTimeout, ILogger logger, CancellationToken stopping)
    {
        _epollFd = epollFd;
        _wakeFd = wakeFd;
        _listener = listener;
        _listenerHandle = listenerHandle;
        _listenerFd = (int)listenerHandle.DangerousGetHandle();
        _sessions = sessions;
        _controls = controls;
        _resolver = resolver;
        _counters = counters;
        _maxDatagram = maxDatagram;
        _logger = logger;
        _stopping = stopping;
        _localEndPoint = listener.LocalEndPoint!;
        _idleMilliseconds = idleTimeout == Timeout.InfiniteTimeSpan ? long.MaxValue : (long)idleTimeout.TotalMilliseconds;
        _sweepMilliseconds = IdleSweeper.IntervalMilliseconds(_idleMilliseconds);
    }

    /// <summary>Ends when the thread has stopped (after <see cref="_stopping"/> fired); the sessions are then closed by the forwarder.</summary>
    public Task Completion => _done.Task;

    /// <summary>
    /// Starts the loop over <paramref name="listener"/> and makes it the table's opener; null where
    /// it cannot run (not 64-bit Linux, or no epoll or eventfd), and the portable path serves instead.
    /// </summary>
    public static UdpEventLoop? TryStart(Socket listener, UdpSessionTable sessions, UdpControlEndPoints controls, TargetResolver resolver,
        UdpRelayCounters counters, int maxDatagram, TimeSpan idleTimeout, ILogger logger, CancellationToken stopping)
    {
        if (!UdpDatagramBatch.IsSupported)
        {
            return null;
        }

        int epollFd = LinuxIo.EpollCreate1(LinuxIo.OCloExec);
        if (epollFd < 0)
        {
            return null;
        }

        int wakeFd = LinuxIo.EventFd(0, LinuxIo.ONonBlock | LinuxIo.OCloExec);

        // Held while the thread runs, so the descriptor cannot be closed and reused under epoll.
        SafeHandle handle = listener.SafeHandle;
        bool added = false;
        handle.DangerousAddRef(ref added);
        int listenerFd = (int)handle.DangerousGetHandle();
        if (wakeFd < 0
            || LinuxIo.EpollControl(epollFd, LinuxIo.EpollCtlAdd, wakeFd, LinuxIo.EpollIn, WakeToken) != 0
            || LinuxIo.EpollControl(epollFd, LinuxIo.EpollCtlAdd, listenerFd, LinuxIo.EpollIn, ListenerToken) != 0)
        {
            handle.DangerousRelease();
            LinuxIo.Close(epollFd);
            if (wakeFd >= 0)
            {
                LinuxIo.Close(wakeFd);
            }

            return null;
        }

        var loop = new UdpEventLoop(epollFd, wakeFd, listener, handle, sessions, controls, resolver, counters, maxDatagram, idleTimeout, logger, stopping);
        sessions.Opener = loop;
        new Thread(loop.Run) { IsBackground = true, Name = "NatMap UDP relay" }.Start();
        return loop;
    }

    /// <summary>Called on the loop thread, from <see cref="UdpSessionTable.Find"/>.</summary>
    public UdpSession? Open(SocketAddress from, ReadOnlySpan<byte> firstDatagram)
    {
        UdpSession session = Rent(from);
        if (_resolver.LiteralAddress is { } address)
        {
            if (!Connect(session, address, out int errno))
            {
                ForwardingLog.UdpSessionFailed(_logger, _resolver.Literal!.ToString(), SocketErrorClassifier.DescribeErrno(errno));
                Discard(session);
                return null;
            }

            _sessions.LogOpened(session, _resolver.Literal!);
            _sessions.Add(session);
            return session;
        }

        // A host name: resolved off this thread; the client's datagrams are dropped meanwhile.
        _sessions.Add(session);
        session.Relay = ResolveAsync(session, session.Generation, firstDatagram.ToArray());
        return null;
    }

    private unsafe void Run()
    {
        var wake = _stopping.UnsafeRegister(static state => ((UdpEventLoop)state!).Wake(), this);
        byte* events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * LinuxIo.EpollEventSize));
        var batch = new UdpDatagramBatch(_maxDatagram);
        var from = new SocketAddress(_listener.AddressFamily);
        try
        {
            long nextSweep = Environment.TickCount64 + _sweepMilliseconds;
            while (!_stopping.IsCancellationRequested)
            {
                int timeout = _idleMilliseconds == long.MaxValue ? -1 : (int)Math.Clamp(nextSweep - Environment.TickCount64, 0, _sweepMilliseconds);
                int count = LinuxIo.EpollWait(_epollFd, events, MaxEvents, timeout);
                if (count < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == LinuxIo.EINTR)
                    {
                        continue;
                    }

                    ForwardingLog.UdpReceiveFailed(_logger, _localEndPoint, SocketErrorClassifier.DescribeErrno(errno));
                    break;
                }

                for (int i = 0; i < count; i++)
                {
                    LinuxIo.ReadEpollEvent(events, i, out _, out ulong data);
                    if (data == WakeToken)
                    {
                        DrainWake();
                        AdmitResolved();
                    }
                    else if (data == ListenerToken)
                    {
                        DrainListener(batch, from);
                    }
                    else if ((int)data < _slotHighWater && _slots[(int)data] is { } session)
                    {
                        // An event of a session closed earlier in this round finds the slot empty,
                        // or the next session in it, whose drain then finds nothing or its own replies.
                        DrainSession(batch, session);
                    }
                }

                long now = Environment.TickCount64;
                if (_idleMilliseconds != long.MaxValue && now >= nextSweep)
                {
                    Sweep(now - _idleMilliseconds);
                    nextSweep = now + _sweepMilliseconds;
                }
            }
        }
        finally
        {
            // Unregistered (waiting for a running callback) before the descriptor is closed, and
            // a late resolution finds it closed: nothing writes to a number the process has reused.
            wake.Dispose();
            lock (_wakeGate)
            {
                _wakeClosed = true;
                LinuxIo.Close(_wakeFd);
            }

            LinuxIo.Close(_epollFd);
            batch.Dispose();
            NativeMemory.Free(events);
            _listenerHandle.DangerousRelease();
            _done.SetResult();
        }
    }

    /// <summary>Receives the clients' datagrams and passes each run from one client on with one sendmmsg(2) call.</summary>
    private void DrainListener(UdpDatagramBatch batch, SocketAddress from)
    {
        for (int round = 0; round < BatchesPerWake; round++)
        {
            int count = batch.Receive(_listenerFd);
            if (count < 0)
            {
                // An ICMP error for an earlier send, reported (and cleared) by this receive;
                // epoll says whether datagrams are still waiting.
                ForwardingLog.UdpReceiveFailed(_logger, _localEndPoint, SocketErrorClassifier.DescribeErrno(-count));
                return;
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

            if (count < batch.Capacity)
            {
                return;
            }
        }
    }

    /// <summary>Relays <paramref name="count"/> datagrams of the batch that all came from <paramref name="from"/>.</summary>
    private void DispatchRun(UdpDatagramBatch batch, int start, int count, SocketAddress from)
    {
        if (_controls.TryDeliver(batch.Datagram(start), from))
        {
            for (int i = start + 1; i < start + count; i++)
            {
                _controls.TryDeliver(batch.Datagram(i), from);
            }

            return;
        }

        if (_sessions.Find(from, batch.Datagram(start)) is not { Descriptor: >= 0 } session)
        {
            return;
        }

        int sent = batch.Send(session.Descriptor, start, count, to: null, out long bytes);
        Interlocked.Add(ref _counters.DatagramsToTarget, sent);
        Interlocked.Add(ref _counters.BytesToTarget, bytes);
    }

    /// <summary>Passes the target's replies of one session on to its client, from the listening socket.</summary>
    private void DrainSession(UdpDatagramBatch batch, UdpSession session)
    {
        for (int round = 0; round < BatchesPerWake; round++)
        {
            int count = batch.Receive(session.Descriptor);
            if (count == -LinuxIo.ECONNREFUSED)
            {
                // ICMP port unreachable from the target: it may come back, keep the session.
                continue;
            }

            if (count < 0)
            {
                CloseSession(session, SocketErrorClassifier.DescribeErrno(-count));
                return;
            }

            if (count == 0)
            {
                return;
            }

            session.Touch();
            int sent = batch.Send(_listenerFd, 0, count, session.ClientAddress, out long bytes);
            Interlocked.Add(ref _counters.DatagramsFromTarget, sent);
            Interlocked.Add(ref _counters.BytesFromTarget, bytes);
            if (count < batch.Capacity)
            {
                return;
            }
        }
    }

    /// <summary>Closes the sessions quiet since before <paramref name="cutoff"/>, as the table's own sweep finds them.</summary>
    private void Sweep(long cutoff)
    {
        _sessions.CollectIdle(cutoff, _expired);
        foreach (var session in _expired)
        {
            CloseSession(session, "idle timeout");
        }

        _expired.Clear();
    }

    /// <summary>A socket connected to the target, in the epoll set under the session's slot; false with the errno when a step failed.</summary>
    private unsafe bool Connect(UdpSession session, SocketAddress target, out int errno)
    {
        fixed (byte* address = target.Buffer.Span)
        {
            // The sockaddr starts with its family, in the kernel's numbering.
            int fd = LinuxIo.Socket(*(ushort*)address, LinuxIo.SockDgram | LinuxIo.SockNonBlock | LinuxIo.SockCloExec, 0);
            if (fd < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return false;
            }

            if (LinuxIo.Connect(fd, address, target.Size) != 0
                || LinuxIo.EpollControl(_epollFd, LinuxIo.EpollCtlAdd, fd, LinuxIo.EpollIn, (ulong)session.Slot) != 0)
            {
                errno = Marshal.GetLastPInvokeError();
                LinuxIo.Close(fd);
                return false;
            }

            session.Descriptor = fd;
            errno = 0;
            return true;
        }
    }

    private async Task ResolveAsync(UdpSession session, int generation, byte[] firstDatagram)
    {
        IPEndPoint? target = null;
        string? failure = null;
        try
        {
            target = await _resolver.ResolveAsync(_stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatMapException or SocketException or OperationCanceledException)
        {
            failure = ex.Message;
        }

        _resolved.Enqueue(new Resolved(session, generation, target, failure, firstDatagram));
        Wake();
    }

    /// <summary>Connects the sessions whose target has been resolved, and sends each one's first datagram.</summary>
    private unsafe void AdmitResolved()
    {
        while (_resolved.TryDequeue(out var resolved))
        {
            var session = resolved.Session;
            if (session.Generation != resolved.Generation || session.IsClosed)
            {
                // Closed meanwhile (idle, or the forwarder stopping), perhaps serving another client by now.
                continue;
            }

            int errno = 0;
            if (resolved.Target is null || !Connect(session, resolved.Target.Serialize(), out errno))
            {
                ForwardingLog.UdpSessionFailed(_logger, _resolver.Host, resolved.Failure ?? SocketErrorClassifier.DescribeErrno(errno));
                CloseSession(session, "closed");
                continue;
            }

            _sessions.LogOpened(session, resolved.Target);
            fixed (byte* datagram = resolved.FirstDatagram)
            {
                if (LinuxIo.Write(session.Descriptor, datagram, (nuint)resolved.FirstDatagram.Length) >= 0)
                {
                    Interlocked.Increment(ref _counters.DatagramsToTarget);
                    Interlocked.Add(ref _counters.BytesToTarget, resolved.FirstDatagram.Length);
                }
            }
        }
    }

    private UdpSession Rent(SocketAddress from)
    {
        if (_pool.TryPop(out var session))
        {
            session.Reuse(from);
        }
        else
        {
            session = new UdpSession(from, _sessions.EndPointTemplate);
        }

        int slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _slotHighWater++;
        if (slot >= _slots.Length)
        {
            Array.Resize(ref _slots, _slots.Length * 2);
        }

        _slots[slot] = session;
        session.Slot = slot;
        return session;
    }

    private void CloseSession(UdpSession session, string reason)
    {
        _sessions.Remove(session, reason);
        Discard(session);
    }

    /// <summary>Frees the session's slot, closes it and keeps it for a later client.</summary>
    private void Discard(UdpSession session)
    {
        if (session.Slot >= 0 && ReferenceEquals(_slots[session.Slot], session))
        {
            _slots[session.Slot] = null;
            _freeSlots.Push(session.Slot);
        }

        session.Slot = -1;
        session.Close();
        if (_pool.Count < RetainedSessions)
        {
            _pool.Push(session);
        }
    }

    private unsafe void DrainWake()
    {
        ulong value;
        LinuxIo.Read(_wakeFd, (byte*)&value, sizeof(ulong));
    }

    private unsafe void Wake()
    {
        lock (_wakeGate)
        {
            if (!_wakeClosed)
            {
                ulong one = 1;
                LinuxIo.Write(_wakeFd, (byte*)&one, sizeof(ulong));
            }
        }
    }

    /// <summary>A host name resolved for a session (or the failure), handed back to the loop thread.</summary>
    private readonly record struct Resolved(UdpSession Session, int Generation, IPEndPoint? Target, string? Failure, byte[] FirstDatagram);
}
