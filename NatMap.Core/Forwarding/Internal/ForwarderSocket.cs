using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Forwarding.Internal;

/// <summary>Binds a forwarder's listening socket, the same way for TCP and UDP.</summary>
internal static class ForwarderSocket
{
    /// <summary>
    /// Creates a socket bound to <paramref name="endPoint"/>. With <paramref name="reuseAddress"/> it
    /// sets SO_REUSEADDR and SO_REUSEPORT first, so that the forwarder can share the mapping's port; a
    /// refusal there is logged, and the bind then says whether the port really is shared.
    /// </summary>
    /// <exception cref="NatMapException">The bind failed (<see cref="NatMapErrorKind.BindFailed"/>).</exception>
    public static Socket Bind(IPEndPoint endPoint, ProtocolType protocol, bool reuseAddress, ILogger logger)
    {
        var socket = new Socket(endPoint.AddressFamily, protocol == ProtocolType.Tcp ? SocketType.Stream : SocketType.Dgram, protocol);
        try
        {
            if (reuseAddress && !LinuxSocketOptions.TrySetReuseAddressAndPort(socket, out var reuseError))
            {
                ForwardingLog.ReuseFailed(logger, endPoint, reuseError);
            }

            socket.Bind(endPoint);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            return ThrowHelper.Throw<Socket>(
                NatMapErrorKind.BindFailed,
                "Cannot bind the " + (protocol == ProtocolType.Tcp ? "TCP" : "UDP") + " forwarder to " + endPoint + ": " + SocketErrorClassifier.Describe(ex) + ".",
                ex);
        }
    }
}
