using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using NatMap.Sockets.Internal;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// The receive side of a <see cref="UdpForwarder"/>: takes the clients' datagrams from the
/// listening socket, diverts those of the control endpoints, and passes the rest on through each
/// client's session. On 64-bit Linux a thread of its own receives in recvmmsg(2) batches and passes
/// each client's run of datagrams on with one sendmmsg(2) call; elsewhere (or without an eventfd)
/// a portable async loop does one datagram at a time. Neither allocates per datagram: senders are
/// looked up by <see cref="SocketAddress"/>.
/// </summary>
internal sealed class UdpBatchReceiver : IUdpDatagramSink
{
    private readonly Socket _listener;
    private readonly UdpSessionTable _sessions;
    private readonly UdpControlEndPoints _controls;
    private readonly UdpRelayCounters _counters;
    private readonly int _maxDatagram;
    private readonly ILogger _logger;
    private readonly EndPoint _localEndPoint;

    public UdpBatchReceiver(Socket listener, UdpSessionTable sessions, UdpControlEndPoints controls, UdpRelayCounters counters, int maxDatagram, ILogger logger)
    {
        _listener = listener;
        _sessions = sessions;
        _controls = controls;
        _counters = counters;
        _maxDatagram = maxDatagram;
        _logger = logger;
        _localEndPoint = listener.LocalEndPoint!;
    }

    /// <summary>Starts receiving; the task ends once <paramref name="cancellationToken"/> fires and the listening socket is disposed.</summary>
    public Task Start(CancellationToken cancellationToken) =>
        UdpDatagramBatch.IsSupported ? StartThread(cancellationToken) : ReceiveLoopAsync(cancellationToken);

    /// <summary>Starts <see cref="ReceiveBatches"/> on its own thread, woken for stop through an eventfd; the task ends with the thread.</summary>
    private unsafe Task StartThread(CancellationToken cancellationToken)
    {
        int wakeFd = LinuxIo.EventFd(0, LinuxIo.ONonBlock | LinuxIo.OCloExec);
        if (wakeFd < 0)
        {
            return ReceiveLoopAsync(cancellationToken);
        }

        var wake = cancellationToken.UnsafeRegister(static state =>
        {
            ulong one = 1;
            LinuxIo.Write((int)state!, (byte*)&one, sizeof(ulong));
        }, wakeFd);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                ReceiveBatches(wakeFd, cancellationToken);
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

    void IUdpDatagramSink.OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress from) => Dispatch(datagram, from);

    void IUdpDatagramSink.OnReceiveFailed(SocketError error) => ForwardingLog.UdpReceiveFailed(_logger, _localEndPoint, SocketErrorClassifier.Describe(error));

    private Task ReceiveLoopAsync(CancellationToken cancellationToken) =>
        UdpReceiveLoop.RunAsync(_listener, GC.AllocateUninitializedArray<byte>(_maxDatagram, pinned: true), this, cancellationToken);

    /// <summary>
    /// Linux: waits in poll(2) for the listening socket (or the stop signal), then takes up to a
    /// batch of datagrams per recvmmsg(2) call and passes each run of datagrams from one client on
    /// with one sendmmsg(2) call, instead of a system call per datagram each way. One thread wake
    /// per batch: no epoll thread handing work to a thread-pool thread.
    /// </summary>
    private unsafe void ReceiveBatches(int wakeFd, CancellationToken cancellationToken)
    {
        using var batch = new UdpDatagramBatch(_maxDatagram);
        var from = new SocketAddress(_listener.AddressFamily);
        PollFd* fds = stackalloc PollFd[2];
        SafeHandle handle = _listener.SafeHandle;
        bool added = false;
        try
        {
            // Held for the loop's lifetime, so the descriptor cannot be closed and reused under poll.
            handle.DangerousAddRef(ref added);
            fds[0] = new PollFd { Fd = (int)handle.DangerousGetHandle(), Events = LinuxIo.PollIn };
            fds[1] = new PollFd { Fd = wakeFd, Events = LinuxIo.PollIn };
            while (!cancellationToken.IsCancellationRequested)
            {
                fds[0].ReturnedEvents = 0;
                fds[1].ReturnedEvents = 0;
                if (LinuxIo.Poll(fds, 2, -1) < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == LinuxIo.EINTR)
                    {
                        continue;
                    }

                    ForwardingLog.UdpReceiveFailed(_logger, _localEndPoint, SocketErrorClassifier.DescribeErrno(errno));
                    break;
                }

                if (fds[1].ReturnedEvents != 0 || !DrainBatches(batch, from))
                {
                    break;
                }
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

    /// <summary>Receives and passes on batches until the socket is empty; false when it was disposed (by stop).</summary>
    private bool DrainBatches(UdpDatagramBatch batch, SocketAddress from)
    {
        int count;
        do
        {
            count = batch.Receive(_listener);
            if (count == -LinuxIo.EBADF)
            {
                return false;
            }

            if (count < 0)
            {
                // An ICMP error for an earlier send, reported (and cleared) by this receive;
                // poll says whether datagrams are still waiting.
                ForwardingLog.UdpReceiveFailed(_logger, _localEndPoint, SocketErrorClassifier.DescribeErrno(-count));
                return true;
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
        return true;
    }

    private void Dispatch(ReadOnlySpan<byte> datagram, SocketAddress from)
    {
        if (_controls.TryDeliver(datagram, from) || _sessions.Find(from, datagram)?.Socket is not { } socket)
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

        // Otherwise WouldBlock (socket buffer full) or an ICMP error from an earlier datagram: UDP may drop.
        if (error == SocketError.Success)
        {
            Interlocked.Increment(ref _counters.DatagramsToTarget);
            Interlocked.Add(ref _counters.BytesToTarget, datagram.Length);
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

        if (_sessions.Find(from, batch.Datagram(start))?.Socket is not { } socket)
        {
            return;
        }

        int sent = batch.Send(socket, start, count, to: null, out long bytes);
        Interlocked.Add(ref _counters.DatagramsToTarget, sent);
        Interlocked.Add(ref _counters.BytesToTarget, bytes);
    }
}
