using System.Net;
using System.Net.Sockets;

namespace NatMap.Sockets.Internal;

/// <summary>Where <see cref="UdpReceiveLoop"/> hands what it receives.</summary>
internal interface IUdpDatagramSink
{
    /// <summary>One datagram and its sender; both are valid only during the call, since the loop reuses them.</summary>
    void OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress from);

    /// <summary>A receive failed with <paramref name="error"/>; the loop goes on.</summary>
    void OnReceiveFailed(SocketError error);
}
