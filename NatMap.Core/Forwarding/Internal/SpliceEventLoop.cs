using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using NatMap.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// Relays every connection of one <see cref="TcpForwarder"/> with splice(2) on a single thread
/// blocked in epoll_wait: no thread per connection, no copy into user space.
/// </summary>
/// <remarks>
/// Sockets that .NET has used asynchronously are O_NONBLOCK for good, so splice returns EAGAIN
/// and readiness must come from somewhere; .NET exposes nothing for "writable". This loop owns
/// its own edge-triggered epoll set, registering both sockets of a connection for readable and
/// writable, and pumps a direction until the kernel says EAGAIN. The sockets are never used
/// asynchronously by .NET (the target is connected non-blocking here), so .NET's own epoll
/// thread is not woken for every segment as well.
/// </remarks>
internal sealed unsafe class SpliceEventLoop
{
    private const int MaxEvents = 256;
    private const ulong WakeToken = ulong.MaxValue;

    private readonly int _epollFd;
    private readonly int _wakeFd;
    private readonly int _pipeSize;
    private readonly long _idleMilliseconds;
    private readonly long _connectMilliseconds;
    private readonly int _sweepMilliseconds;
    private readonly TcpRelayCounters _counters;
    private readonly Action<SpliceConnection> _closed;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<SpliceConnection> _incoming = new();
    private readonly object _gate = new();
    private readonly Stack<int> _freeSlots = new();
    private readonly Thread _thread;
    private SpliceConnection?[] _slots = new SpliceConnection?[64];
    private int _slotHighWater;
    private bool _closedForAdds;
    private volatile bool _stopping;

    private SpliceEventLoop(int epollFd, int wakeFd, int pipeSize, TimeSpan idleTimeout, TimeSpan connectTimeout,
        TcpRelayCounters counters, Action<SpliceConnection> closed, ILogger logger)
    {
        _epollFd = epollFd;
        _wakeFd = wakeFd;
        _pipeSize = pipeSize;
        _idleMilliseconds = idleTimeout == Timeout.InfiniteTimeSpan ? long.MaxValue : (long)idleTimeout.TotalMilliseconds;
        _connectMilliseconds = (long)connectTimeout.TotalMilliseconds;
        _sweepMilliseconds = IdleSweeper.IntervalMilliseconds(Math.Min(_idleMilliseconds, _connectMilliseconds));
        _counters = counters;
        _closed = closed;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "NatMap splice" };
    }

    public static SpliceEventLoop Start(int pipeSize, TimeSpan idleTimeout, TimeSpan connectTimeout,
        TcpRelayCounters counters, Action<SpliceConnection> closed, ILogger logger)
    {
        int epollFd = LinuxIo.EpollCreate1(LinuxIo.OCloExec);
        if (epollFd < 0)
        {
            ThrowHelper.Throw(NatMapErrorKind.NotSupported, "epoll_create1 failed with errno " + Marshal.GetLastPInvokeError() + ".");
        }

        int wakeFd = LinuxIo.EventFd(0, LinuxIo.ONonBlock | LinuxIo.OCloExec);
        if (wakeFd < 0 || LinuxIo.EpollControl(epollFd, LinuxIo.EpollCtlAdd, wakeFd, LinuxIo.EpollIn, WakeToken) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            LinuxIo.Close(epollFd);
            if (wakeFd >= 0)
            {
                LinuxIo.Close(wakeFd);
            }

            ThrowHelper.Throw(NatMapErrorKind.NotSupported, "eventfd setup failed with errno " + errno + ".");
        }

        var loop = new SpliceEventLoop(epollFd, wakeFd, pipeSize, idleTimeout, connectTimeout, counters, closed, logger);
        loop._thread.Start();
        return loop;
    }

    /// <summary>Hands a connection to the loop; false once the loop is stopping (the caller then closes it).</summary>
    public bool Add(SpliceConnection connection)
    {
        lock (_gate)
        {
            if (_closedForAdds)
            {
                return false;
            }

            _incoming.Enqueue(connection);
        }

        Wake();
        return true;
    }

    /// <summary>Stops the thread and closes every connection it relays.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            if (_closedForAdds)
            {
                return;
            }

            _closedForAdds = true;
        }

        _stopping = true;
        Wake();
        _thread.Join();
        while (_incoming.TryDequeue(out var connection))
        {
            connection.FailureReason ??= "forwarder stopped";
            Release(connection);
        }

        LinuxIo.Close(_wakeFd);
        LinuxIo.Close(_epollFd);
    }

    private void Wake()
    {
        ulong one = 1;
        LinuxIo.Write(_wakeFd, (byte*)&one, sizeof(ulong));
    }

    private void Run()
    {
        byte* events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * LinuxIo.EpollEventSize));
        try
        {
            long nextSweep = Environment.TickCount64 + _sweepMilliseconds;
            while (!_stopping)
            {
                int timeout = (int)Math.Clamp(nextSweep - Environment.TickCount64, 0, _sweepMilliseconds);
                int count = LinuxIo.EpollWait(_epollFd, events, MaxEvents, timeout);
                if (count < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == LinuxIo.EINTR)
                    {
                        continue;
                    }

                    ForwardingLog.SpliceLoopFailed(_logger, errno);
                    break;
                }

                for (int i = 0; i < count; i++)
                {
                    LinuxIo.ReadEpollEvent(events, i, out uint mask, out ulong data);
                    if (data == WakeToken)
                    {
                        DrainWake();
                        AdmitIncoming();
                        continue;
                    }

                    int slot = (int)(data >> 1);
                    SpliceConnection? connection = slot < _slots.Length ? _slots[slot] : null;
                    if (connection is not null)
                    {
                        OnEvent(connection, (data & 1) != 0, mask);
                    }
                }

                long now = Environment.TickCount64;
                if (now >= nextSweep)
                {
                    Sweep(now);
                    nextSweep = now + _sweepMilliseconds;
                }
            }
        }
        finally
        {
            NativeMemory.Free(events);
            for (int slot = 0; slot < _slotHighWater; slot++)
            {
                if (_slots[slot] is { } connection)
                {
                    connection.FailureReason ??= "forwarder stopped";
                    Close(connection);
                }
            }
        }
    }

    private void DrainWake()
    {
        ulong value;
        LinuxIo.Read(_wakeFd, (byte*)&value, sizeof(ulong));
    }

    private void AdmitIncoming()
    {
        while (_incoming.TryDequeue(out var connection))
        {
            int slot;
            if (_freeSlots.Count > 0)
            {
                slot = _freeSlots.Pop();
            }
            else
            {
                slot = _slotHighWater++;
                if (slot == _slots.Length)
                {
                    Array.Resize(ref _slots, _slots.Length * 2);
                }
            }

            connection.Slot = slot;
            _slots[slot] = connection;
            const uint Interest = LinuxIo.EpollIn | LinuxIo.EpollOut | LinuxIo.EpollRdHup | LinuxIo.EpollEt;
            if (LinuxIo.EpollControl(_epollFd, LinuxIo.EpollCtlAdd, connection.ClientFd, Interest, (ulong)slot << 1) != 0
                || LinuxIo.EpollControl(_epollFd, LinuxIo.EpollCtlAdd, connection.TargetFd, Interest, ((ulong)slot << 1) | 1) != 0)
            {
                connection.FailureReason = "epoll_ctl failed: " + SocketErrorClassifier.DescribeErrno(Marshal.GetLastPInvokeError());
                Close(connection);
            }

            // Edge-triggered registration reports the current readiness at once, so the first
            // event arrives by itself; no explicit pump is needed here.
        }
    }

    private void OnEvent(SpliceConnection connection, bool fromTarget, uint mask)
    {
        if (connection.Connecting)
        {
            if (!fromTarget)
            {
                // Client data waits in its socket; both directions are pumped once connected.
                return;
            }

            // SO_ERROR through a span: GetSocketOption would box the int.
            int error = 0;
            connection.Target.GetRawSocketOption(LinuxIo.SolSocket, LinuxIo.SoError, MemoryMarshal.AsBytes(new Span<int>(ref error)));
            if (error != 0)
            {
                connection.FailureReason = "connect: " + (SocketError)error;
                connection.ConnectFailed = true;
                Close(connection);
                return;
            }

            if ((mask & LinuxIo.EpollOut) == 0)
            {
                return;
            }

            connection.Connecting = false;
            connection.LastActivity = Environment.TickCount64;
            Pump(connection, connection.Up);
            Pump(connection, connection.Down);
        }
        else
        {
            const uint Readable = LinuxIo.EpollIn | LinuxIo.EpollRdHup | LinuxIo.EpollErr | LinuxIo.EpollHup;
            const uint Writable = LinuxIo.EpollOut | LinuxIo.EpollErr | LinuxIo.EpollHup;
            SpliceDirection fromThisSide = fromTarget ? connection.Down : connection.Up;
            SpliceDirection toThisSide = fromTarget ? connection.Up : connection.Down;
            if ((mask & Readable) != 0)
            {
                Pump(connection, fromThisSide);
            }

            // Writable matters only to a direction with bytes in its pipe, or a pipe that filled
            // before its source was drained. A direction without a pipe has moved nothing yet: its
            // first data comes with a readable edge on its source, so it is not probed here.
            if ((mask & Writable) != 0 && connection.FailureReason is null && toThisSide.PipeRead >= 0)
            {
                Pump(connection, toThisSide);
            }
        }

        if (connection.IsFinished)
        {
            Close(connection);
        }
    }

    /// <summary>
    /// Moves bytes source → pipe → destination until neither step makes progress. Each step that
    /// stops on EAGAIN is re-armed by an edge: readable on the source, or writable on the
    /// destination (which also drains a pipe that filled up with fewer bytes than its size).
    /// </summary>
    private void Pump(SpliceConnection connection, SpliceDirection direction)
    {
        if (direction.ShutdownSent)
        {
            return;
        }

        long moved = 0;
        while (true)
        {
            bool progress = false;
            if (!direction.SourceFinished && direction.PipeRead < 0 && !TryCreatePipeOnData(direction, connection))
            {
                break;
            }

            if (!direction.SourceFinished && direction.Pending < direction.Capacity)
            {
                nint read = LinuxIo.Splice(direction.Source, 0, direction.PipeWrite, 0,
                    (nuint)(direction.Capacity - direction.Pending), LinuxIo.SpliceMove | LinuxIo.SpliceNonBlock);
                if (read > 0)
                {
                    direction.Pending += read;
                    progress = true;
                }
                else if (read == 0)
                {
                    direction.SourceFinished = true;
                }
                else if (!IsTransient(Marshal.GetLastPInvokeError(), out int errno))
                {
                    connection.FailureReason = "splice from socket: " + SocketErrorClassifier.DescribeErrno(errno);
                    break;
                }
            }

            if (direction.Pending > 0)
            {
                nint written = LinuxIo.Splice(direction.PipeRead, 0, direction.Destination, 0,
                    (nuint)direction.Pending, LinuxIo.SpliceMove | LinuxIo.SpliceNonBlock);
                if (written > 0)
                {
                    direction.Pending -= written;
                    moved += written;
                    progress = true;
                }
                else if (written < 0 && !IsTransient(Marshal.GetLastPInvokeError(), out int errno))
                {
                    connection.FailureReason = "splice to socket: " + SocketErrorClassifier.DescribeErrno(errno);
                    break;
                }
            }

            if (!progress)
            {
                break;
            }
        }

        if (moved > 0)
        {
            connection.LastActivity = Environment.TickCount64;
            if (direction.ToTarget)
            {
                Interlocked.Add(ref _counters.BytesToTarget, moved);
            }
            else
            {
                Interlocked.Add(ref _counters.BytesFromTarget, moved);
            }
        }

        if (direction.SourceFinished && direction.Pending == 0 && connection.FailureReason is null)
        {
            // Half-close: pass the FIN on; the other direction keeps running.
            LinuxIo.Shutdown(direction.Destination, LinuxIo.ShutWr);
            direction.ShutdownSent = true;
        }
    }

    private static bool IsTransient(int errno, out int error)
    {
        error = errno;
        return errno == LinuxIo.EAGAIN || errno == LinuxIo.EINTR;
    }

    /// <summary>
    /// Creates the direction's pipe once its source has data (or reports its end), so that an
    /// idle connection holds no pipe: edge-triggered registration reports "writable" at once,
    /// which would otherwise create both pipes of every connection.
    /// </summary>
    private bool TryCreatePipeOnData(SpliceDirection direction, SpliceConnection connection)
    {
        byte probe;
        nint peeked = LinuxIo.Recv(direction.Source, &probe, 1, LinuxIo.MsgPeek | LinuxIo.MsgDontWait);
        if (peeked == 0)
        {
            direction.SourceFinished = true;
            return false;
        }

        if (peeked < 0)
        {
            if (!IsTransient(Marshal.GetLastPInvokeError(), out int errno))
            {
                connection.FailureReason = "recv: " + SocketErrorClassifier.DescribeErrno(errno);
            }

            return false;
        }

        int* fds = stackalloc int[2];
        if (LinuxIo.Pipe2(fds, LinuxIo.ONonBlock | LinuxIo.OCloExec) != 0)
        {
            connection.FailureReason = "pipe2: " + SocketErrorClassifier.DescribeErrno(Marshal.GetLastPInvokeError());
            return false;
        }

        direction.PipeRead = fds[0];
        direction.PipeWrite = fds[1];

        // Failure (a size above pipe-max-size for an unprivileged user) keeps the default size.
        LinuxIo.Fcntl(fds[1], LinuxIo.FSetPipeSize, _pipeSize);
        int capacity = LinuxIo.Fcntl(fds[1], LinuxIo.FGetPipeSize, 0);
        direction.Capacity = capacity > 0 ? capacity : 65536;
        return true;
    }

    private void Sweep(long now)
    {
        for (int slot = 0; slot < _slotHighWater; slot++)
        {
            if (_slots[slot] is not { } connection)
            {
                continue;
            }

            if (connection.Connecting)
            {
                if (now - connection.Created > _connectMilliseconds)
                {
                    connection.FailureReason = "connect: timed out";
                    connection.ConnectFailed = true;
                    Close(connection);
                }
            }
            else if (now - connection.LastActivity > _idleMilliseconds)
            {
                connection.FailureReason = "idle timeout";
                Close(connection);
            }
        }
    }

    private void Close(SpliceConnection connection)
    {
        LinuxIo.EpollControl(_epollFd, LinuxIo.EpollCtlDel, connection.ClientFd, 0, 0);
        LinuxIo.EpollControl(_epollFd, LinuxIo.EpollCtlDel, connection.TargetFd, 0, 0);
        if (connection.Slot >= 0)
        {
            _slots[connection.Slot] = null;
            _freeSlots.Push(connection.Slot);
            connection.Slot = -1;
        }

        Release(connection);
    }

    private void Release(SpliceConnection connection)
    {
        ClosePipe(connection.Up);
        ClosePipe(connection.Down);
        connection.Client.Dispose();
        connection.Target.Dispose();
        _closed(connection);
    }

    private static void ClosePipe(SpliceDirection direction)
    {
        if (direction.PipeRead >= 0)
        {
            LinuxIo.Close(direction.PipeRead);
            LinuxIo.Close(direction.PipeWrite);
            direction.PipeRead = -1;
            direction.PipeWrite = -1;
        }
    }
}
