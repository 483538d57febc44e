using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using NatMap.Sockets.Internal;
using NatMap.Stun.Internal;

namespace NatMap.Mapping.Internal;

/// <summary>
/// The UDP mapping socket's STUN path, connect(2)ed to the server it asks. A service may share the
/// port with SO_REUSEPORT (bind mode); Linux spreads datagrams between the unconnected sockets of a
/// reuseport group by a hash of the 4-tuple, so an unconnected mapping socket takes about half of
/// the service's traffic (and drops it as not STUN), and for about half of all server tuples the
/// server's answers go to the service, so no check ever succeeds. A connected UDP socket matches
/// only datagrams from its peer and wins those over the unconnected sockets: the server's answers
/// come here and everything else goes to the service.
/// </summary>
/// <remarks>
/// A failover connects to the next server over the old connection: the socket keeps its port, its
/// SO_BINDTODEVICE and its source address. It is never disconnected (AF_UNSPEC), because that
/// releases a port the kernel picked and clears SO_BINDTODEVICE. The source address of a
/// wildcard-bound socket is fixed at its first connect, so a DHCP renumbering strands it:
/// <see cref="SourceMoved"/> tells the loop to bind again. The connect is made on the descriptor,
/// so .NET keeps treating the socket as unconnected (sendto with the peer's address is allowed on
/// Linux). ICMP errors reach a connected socket: a server port with nothing behind it fails with
/// "connection refused" at once instead of after its retransmissions. Elsewhere than Linux the
/// socket stays unconnected.
/// </remarks>
internal sealed class ConnectedStunTransport : IStunDatagramTransport
{
    private readonly Socket _socket;
    private readonly BoundSocketFactory _sockets;
    private readonly IPEndPoint _anyEndPoint;
    private readonly bool _wildcard;
    private IPEndPoint? _peer;
    private IPAddress? _source;

    public ConnectedStunTransport(Socket socket, BoundSocketFactory sockets)
    {
        _socket = socket;
        _sockets = sockets;
        var bound = (IPEndPoint)socket.LocalEndPoint!;
        _anyEndPoint = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        _wildcard = bound.Address.Equals(IPAddress.Any) || bound.Address.Equals(IPAddress.IPv6Any);
    }

    public EndPoint? LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>
    /// Whether the kernel would now send towards the server from another address than the one this
    /// wildcard-bound socket was connected from (the host was renumbered): the socket cannot follow.
    /// </summary>
    public bool SourceMoved(out IPAddress? from, out IPAddress? to)
    {
        from = _source;
        to = null;
        if (!_wildcard || _peer is null || _source is null)
        {
            return false;
        }

        to = _sockets.SourceAddressTowards(_peer);
        return to is not null && !to.Equals(_source);
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remote, CancellationToken cancellationToken)
    {
        if (!remote.Equals(_peer) && OperatingSystem.IsLinux())
        {
            ConnectTo(remote);
        }

        await _socket.SendToAsync(datagram, SocketFlags.None, remote, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<SocketReceiveFromResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _socket.ReceiveFromAsync(buffer, SocketFlags.None, _anyEndPoint, cancellationToken);

    /// <summary>A failure (no route) is that server's, as a failed send would be.</summary>
    private unsafe void ConnectTo(IPEndPoint remote)
    {
        var address = remote.Serialize();
        int result;
        fixed (byte* bytes = address.Buffer.Span)
        {
            result = LinuxIo.Connect((int)_socket.SafeHandle.DangerousGetHandle(), bytes, address.Size);
        }

        if (result != 0)
        {
            throw new SocketException((int)SocketErrorClassifier.FromErrno(Marshal.GetLastPInvokeError()));
        }

        // The first connect fixes a wildcard-bound socket's source address; later ones keep it.
        if (_peer is null && _wildcard)
        {
            _source = _sockets.SourceAddressTowards(remote);
        }

        _peer = remote;
    }
}
