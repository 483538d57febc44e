using System.Net;
using System.Net.Sockets;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// One client endpoint of a <see cref="UdpForwarder"/>: a socket connected to the target, the
/// client's address as a <see cref="SocketAddress"/> (the table key, and the destination of
/// replies), and the last time a datagram moved either way.
/// </summary>
internal sealed class UdpSession
{
    private readonly IPEndPoint _endPointTemplate;
    private EndPoint? _clientEndPoint;
    private long _lastActivity;
    private int _closed;

    public UdpSession(SocketAddress clientAddress, IPEndPoint endPointTemplate)
    {
        ClientAddress = clientAddress;
        _endPointTemplate = endPointTemplate;
        _lastActivity = Environment.TickCount64;
    }

    public SocketAddress ClientAddress { get; }

    /// <summary>The client as an endpoint object, made on first use: only log messages need it.</summary>
    public EndPoint ClientEndPoint => _clientEndPoint ??= _endPointTemplate.Create(ClientAddress);

    /// <summary>The socket connected to the target; null while a host name is being resolved.</summary>
    public Socket? Socket { get; set; }

    /// <summary>The loop relaying the target's replies.</summary>
    public Task? Relay { get; set; }

    public long LastActivity => Volatile.Read(ref _lastActivity);

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public void Touch() => Volatile.Write(ref _lastActivity, Environment.TickCount64);

    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            Socket?.Dispose();
        }
    }
}
