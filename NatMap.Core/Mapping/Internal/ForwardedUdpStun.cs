using System.Net;
using System.Net.Sockets;
using NatMap.Stun.Internal;

namespace NatMap.Mapping.Internal;

/// <summary>
/// The STUN transport of UDP forward mode, where the forwarder owns the mapping socket: requests
/// leave through the forwarder's listening socket (<see cref="Forwarding.UdpForwarder.SendFromListener"/>)
/// and answers come back through its control-datagram handler, which calls
/// <see cref="OnControlDatagram"/>. The failover, retransmission and validation are the
/// <see cref="Stun.StunClient"/>'s, driven through <see cref="IStunProbe.QueryUdpAsync(IStunDatagramTransport, AddressFamily, CancellationToken)"/>.
/// </summary>
internal sealed class ForwardedUdpStun : IStunDatagramTransport
{
    private readonly Action<ReadOnlyMemory<byte>, IPEndPoint> _send;
    private readonly Action<IPEndPoint> _addControlEndPoint;
    private readonly HashSet<IPEndPoint> _registered = [];
    private readonly StunAnswerQueue _answers = new();

    /// <param name="localEndPoint">The forwarder's listening endpoint, reported as the query's local endpoint.</param>
    /// <param name="send">Sends from the forwarder's listening socket.</param>
    /// <param name="addControlEndPoint">Registers a server address with the forwarder, so that its datagrams reach <see cref="OnControlDatagram"/>.</param>
    public ForwardedUdpStun(IPEndPoint localEndPoint, Action<ReadOnlyMemory<byte>, IPEndPoint> send, Action<IPEndPoint> addControlEndPoint)
    {
        LocalEndPoint = localEndPoint;
        _send = send;
        _addControlEndPoint = addControlEndPoint;
    }

    public EndPoint? LocalEndPoint { get; }

    /// <summary>
    /// Registers <paramref name="server"/> with the forwarder, once. Registration is for good: a late
    /// answer must not be relayed to the target as if it came from a new client.
    /// </summary>
    public void Watch(IPEndPoint server)
    {
        lock (_registered)
        {
            if (!_registered.Add(server))
            {
                return;
            }
        }

        _addControlEndPoint(server);
    }

    /// <summary>Called by the forwarder's receive loop for each datagram from a control endpoint; copies it, since the buffer is reused.</summary>
    public void OnControlDatagram(ReadOnlySpan<byte> datagram, IPEndPoint remoteEndPoint) =>
        _answers.Post(datagram, remoteEndPoint);

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remote, CancellationToken cancellationToken)
    {
        Watch(remote);
        try
        {
            _send(datagram, remote);
        }
        catch (NatMapException ex) when (ex.InnerException is SocketException socketError)
        {
            // The client classifies socket errors in one place; hand it the forwarder's underlying one.
            return ValueTask.FromException(socketError);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<SocketReceiveFromResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _answers.ReceiveAsync(buffer, cancellationToken);
}
