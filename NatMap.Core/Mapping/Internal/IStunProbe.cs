using System.Net.Sockets;
using NatMap.Stun.Internal;

namespace NatMap.Mapping.Internal;

/// <summary>
/// The STUN queries the mappers need, behind a seam so the mapping logic can be tested apart from the
/// STUN client. Implementations try their servers in order and throw a NatMapException when all fail.
/// </summary>
internal interface IStunProbe
{
    /// <summary>A Binding request from <paramref name="boundSocket"/>, a bound UDP socket.</summary>
    Task<StunObservation> QueryUdpAsync(Socket boundSocket, CancellationToken cancellationToken);

    /// <summary>
    /// A Binding request through <paramref name="transport"/> (in UDP forward mode, the forwarder's
    /// listening socket), with the same servers, timing and validation as <see cref="QueryUdpAsync(Socket, CancellationToken)"/>.
    /// </summary>
    Task<StunObservation> QueryUdpAsync(IStunDatagramTransport transport, AddressFamily family, CancellationToken cancellationToken);

    /// <summary>A Binding request over TCP from sockets made by <paramref name="createSocket"/> (bound, unconnected).</summary>
    Task<StunObservation> QueryTcpAsync(AddressFamily family, Func<AddressFamily, Socket> createSocket, CancellationToken cancellationToken);
}
