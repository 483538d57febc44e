using System.Net;
using System.Net.Sockets;

namespace NatMap.Stun.Internal;

/// <summary>
/// Where the datagrams of a UDP Binding transaction go and come from. <see cref="StunClient"/> runs
/// the server failover, the RFC 8489 section 6.2.1 retransmission schedule and the validation of the
/// answers over it, whatever socket is underneath: one the caller hands the client
/// (<see cref="SocketStunTransport"/>), or the UDP forwarder's listening socket, whose answers reach
/// the mapper through the forwarder's control-datagram handler.
/// </summary>
internal interface IStunDatagramTransport
{
    /// <summary>The local endpoint the requests leave from, reported in the result; null when unknown.</summary>
    EndPoint? LocalEndPoint { get; }

    /// <summary>
    /// Sends one request datagram to <paramref name="remote"/> and makes sure its answers will be
    /// delivered to <see cref="ReceiveAsync"/>. A socket failure throws <see cref="SocketException"/>,
    /// which the client records as that server address's failure.
    /// </summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remote, CancellationToken cancellationToken);

    /// <summary>
    /// Waits for the next datagram that came back, from any source (the client filters), copies it
    /// into <paramref name="buffer"/> and returns its length and source. Ends with
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires.
    /// </summary>
    ValueTask<SocketReceiveFromResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);
}
