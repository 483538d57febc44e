using System.Net;
using System.Net.Sockets;
using NatMap.Sockets.Internal;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// One client endpoint of a <see cref="UdpForwarder"/>: a socket connected to the target, the
/// client's address as a <see cref="SocketAddress"/> (the table key, and the destination of
/// replies), and the last time a datagram moved either way. The socket is a .NET
/// <see cref="System.Net.Sockets.Socket"/> on the portable path, and a bare descriptor on the
/// Linux event loop, which also reuses the session for a later client (<see cref="Reuse"/>).
/// </summary>
internal sealed class UdpSession
{
    /// <summary>Room for any address a listening socket reports: a sockaddr_in6 is 28 bytes.</summary>
    private const int AddressCapacity = 28;

    private readonly IPEndPoint _endPointTemplate;
    private EndPoint? _clientEndPoint;
    private long _lastActivity;
    private int _closed;

    /// <summary>A session for the client <paramref name="clientAddress"/>, which is copied.</summary>
    public UdpSession(SocketAddress clientAddress, IPEndPoint endPointTemplate)
    {
        ClientAddress = new SocketAddress(clientAddress.Family, Math.Max(clientAddress.Size, AddressCapacity));
        _endPointTemplate = endPointTemplate;
        Copy(clientAddress);
        _lastActivity = Environment.TickCount64;
    }

    public SocketAddress ClientAddress { get; }

    /// <summary>The client as an endpoint object, made on first use: only log messages need it.</summary>
    public EndPoint ClientEndPoint => _clientEndPoint ??= _endPointTemplate.Create(ClientAddress);

    /// <summary>The portable path's socket connected to the target; null while a host name is being resolved.</summary>
    public Socket? Socket { get; set; }

    /// <summary>The event loop's descriptor connected to the target; -1 while a host name is being resolved.</summary>
    public int Descriptor { get; set; } = -1;

    /// <summary>The session's place in the event loop's table of descriptors.</summary>
    public int Slot { get; set; } = -1;

    /// <summary>Counts the clients this session has served; work started for one client checks it before it touches the session.</summary>
    public int Generation { get; private set; }

    /// <summary>The loop relaying the target's replies (portable path), or resolving the target's host name.</summary>
    public Task? Relay { get; set; }

    public long LastActivity => Volatile.Read(ref _lastActivity);

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public void Touch() => Volatile.Write(ref _lastActivity, Environment.TickCount64);

    /// <summary>Takes a closed session for the new client <paramref name="clientAddress"/> (copied), so that a new client allocates nothing.</summary>
    public void Reuse(SocketAddress clientAddress)
    {
        Copy(clientAddress);
        _clientEndPoint = null;
        Socket = null;
        Descriptor = -1;
        Relay = null;
        Generation++;
        Touch();
        Volatile.Write(ref _closed, 0);
    }

    /// <summary>Closes the socket or descriptor; closing a descriptor also takes it out of any epoll set.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            Socket?.Dispose();
            if (Descriptor >= 0)
            {
                LinuxIo.Close(Descriptor);
                Descriptor = -1;
            }
        }
    }

    private void Copy(SocketAddress clientAddress)
    {
        clientAddress.Buffer.Span[..clientAddress.Size].CopyTo(ClientAddress.Buffer.Span);
        ClientAddress.Size = clientAddress.Size;
    }
}
