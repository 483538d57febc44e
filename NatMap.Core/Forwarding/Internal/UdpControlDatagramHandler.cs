using System.Net;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// Receives a datagram that arrived on a <see cref="UdpForwarder"/>'s listening socket from a
/// registered control endpoint (see <see cref="UdpForwarder.AddControlEndPoint"/>), instead of it
/// being relayed: the mapper's forward-mode STUN answers. Called on the forwarder's receive loop:
/// return quickly, and copy <paramref name="datagram"/> if it is needed afterwards, since the buffer
/// is reused.
/// </summary>
/// <param name="datagram">The datagram; valid only during the call.</param>
/// <param name="remoteEndPoint">The registered control endpoint it came from.</param>
internal delegate void UdpControlDatagramHandler(ReadOnlySpan<byte> datagram, IPEndPoint remoteEndPoint);
