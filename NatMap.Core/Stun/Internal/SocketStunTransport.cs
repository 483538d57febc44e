using System.Net;
using System.Net.Sockets;

namespace NatMap.Stun.Internal;

/// <summary>
/// The client's own path: requests leave from a UDP socket that the caller owns and keeps, and
/// every datagram read from it during the query is offered to the client. The RFC 5780
/// hairpinning probe sends from one socket and listens on another.
/// </summary>
internal sealed class SocketStunTransport : IStunDatagramTransport
{
    private readonly Socket _sender;
    private readonly Socket _receiver;
    private readonly IPEndPoint _anyEndPoint;

    public SocketStunTransport(Socket socket)
        : this(socket, socket)
    {
    }

    public SocketStunTransport(Socket sender, Socket receiver)
    {
        _sender = sender;
        _receiver = receiver;
        _anyEndPoint = new IPEndPoint(receiver.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
    }

    public EndPoint? LocalEndPoint => _sender.LocalEndPoint;

    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remote, CancellationToken cancellationToken) =>
        await _sender.SendToAsync(datagram, SocketFlags.None, remote, cancellationToken).ConfigureAwait(false);

    public ValueTask<SocketReceiveFromResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _receiver.ReceiveFromAsync(buffer, SocketFlags.None, _anyEndPoint, cancellationToken);
}
