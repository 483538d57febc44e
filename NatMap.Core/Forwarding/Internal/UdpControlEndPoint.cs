using System.Net;
using System.Net.Sockets;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// A registered control endpoint, pre-serialized so that the receive loop matches a sender with
/// a byte comparison. An IPv4 endpoint is kept in its IPv4-mapped IPv6 form as well, for a
/// dual-mode listening socket.
/// </summary>
internal sealed class UdpControlEndPoint
{
    public UdpControlEndPoint(IPEndPoint endPoint)
    {
        EndPoint = endPoint;
        Address = endPoint.Serialize();
        MappedAddress = endPoint.AddressFamily == AddressFamily.InterNetwork
            ? new IPEndPoint(endPoint.Address.MapToIPv6(), endPoint.Port).Serialize()
            : null;
    }

    public IPEndPoint EndPoint { get; }

    public SocketAddress Address { get; }

    public SocketAddress? MappedAddress { get; }

    public bool Matches(SocketAddress address) => Address.Equals(address) || (MappedAddress?.Equals(address) ?? false);
}
