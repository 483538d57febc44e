using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Sockets.Internal;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// The portable receive side of a <see cref="UdpForwarder"/> (where <see cref="UdpEventLoop"/>
/// cannot run): takes the clients' datagrams from the listening socket one at a time, diverts those
/// of the control endpoints, and passes the rest on through each client's session. Nothing is
/// allocated per datagram: senders are looked up by <see cref="SocketAddress"/>.
/// </summary>
internal sealed class UdpAsyncReceiver : IUdpDatagramSink
{
    private readonly Socket _listener;
    private readonly UdpSessionTable _sessions;
    private readonly UdpControlEndPoints _controls;
    private readonly UdpRelayCounters _counters;
    private readonly int _maxDatagram;
    private readonly ILogger _logger;
    private readonly EndPoint _localEndPoint;

    public UdpAsyncReceiver(Socket listener, UdpSessionTable sessions, UdpControlEndPoints controls, UdpRelayCounters counters, int maxDatagram, ILogger logger)
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
        UdpReceiveLoop.RunAsync(_listener, GC.AllocateUninitializedArray<byte>(_maxDatagram, pinned: true), this, cancellationToken);

    void IUdpDatagramSink.OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress from)
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

    void IUdpDatagramSink.OnReceiveFailed(SocketError error) => ForwardingLog.UdpReceiveFailed(_logger, _localEndPoint, SocketErrorClassifier.Describe(error));
}
