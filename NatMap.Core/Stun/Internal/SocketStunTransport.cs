using System.Net;
using System.Net.Sockets;

namespace NatMap.Stun.Internal;

/// <summary>
/// The client's own path: requests leave from a UDP socket that the caller owns and keeps, and
/// every datagram read from it during the query is offered to the client.
/// </summary>
internal sealed class SocketStunTransport : IStunDatagramTransport
{
    private readonly Socket _socket;
    private readonly IPEndPoint _anyEndPoint;

    public SocketStunTransport(Socket socket)
    {
        _socket = socket;
        _anyEndPoint = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
    }

    public EndPoint? LocalEndPoint => _socket.LocalEndPoint;

    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remote, CancellationToken cancellationToken) =>
        await _socket.SendToAsync(datagram, SocketFlags.None, remote, cancellationToken).ConfigureAwait(false);

    public ValueTask<SocketReceiveFromResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _socket.ReceiveFromAsync(buffer, SocketFlags.None, _anyEndPoint, cancellationToken);
}
