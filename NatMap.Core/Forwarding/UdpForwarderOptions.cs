using System.Net;
using System.Net.Sockets;
using NatMap.Forwarding.Internal;

namespace NatMap.Forwarding;

/// <summary>Settings of a <see cref="UdpForwarder"/>.</summary>
public sealed class UdpForwarderOptions
{
    /// <summary>The local endpoint to listen on when <see cref="UdpForwarder.Start()"/> binds the socket itself.</summary>
    public IPEndPoint ListenEndPoint { get; set; } = new(IPAddress.Any, 0);

    /// <summary>
    /// The target host: an IP address or a host name. A name is resolved again for every new
    /// session, so a DNS change is followed without a restart.
    /// </summary>
    public string TargetHost { get; set; } = "";

    /// <summary>The target port.</summary>
    public int TargetPort { get; set; }

    /// <summary>
    /// The address family wanted when <see cref="TargetHost"/> is a name; <see cref="AddressFamily.Unspecified"/>
    /// takes the first address the resolver returns.
    /// </summary>
    public AddressFamily TargetAddressFamily { get; set; } = AddressFamily.Unspecified;

    /// <summary>
    /// A session with no datagram in either direction for this long is closed. Default 300
    /// seconds; <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// The most sessions (client endpoints) open at once. At the cap, datagrams from a new client
    /// endpoint are dropped (the session is refused) until an existing session expires; open
    /// sessions are never evicted. Default 1024.
    /// </summary>
    public int MaxSessions { get; set; } = 1024;

    /// <summary>
    /// Sets SO_REUSEADDR and SO_REUSEPORT on the listening socket, so that it can share its local
    /// endpoint with another socket. Default false.
    /// </summary>
    public bool ReuseAddress { get; set; }

    /// <summary>
    /// The receive buffer of the listening socket in bytes (it absorbs bursts from all clients), or 0
    /// for the system default. On Linux SO_RCVBUFFORCE is tried first, so the size is granted in full
    /// with CAP_NET_ADMIN; without it SO_RCVBUF is capped at net.core.rmem_max, and a warning is
    /// logged when the buffer the socket got is smaller than asked.
    /// </summary>
    public int ReceiveBufferSize { get; set; }

    /// <summary>
    /// Receives datagrams from the endpoints registered with <see cref="UdpForwarder.AddControlEndPoint"/>
    /// (the STUN server's answers to the mapper's forward-mode checks). Without a handler such
    /// datagrams are dropped.
    /// </summary>
    internal UdpControlDatagramHandler? ControlDatagramHandler { get; set; }
}
