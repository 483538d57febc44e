using System.Net;
using System.Net.Sockets;

namespace NatMap.Tests.Infrastructure;

/// <summary>Ports for daemons that cannot be told to bind port 0 (named, transmission-daemon, qbittorrent-nox).</summary>
internal static class LoopbackPorts
{
    /// <summary>
    /// A port free on 127.0.0.1 for both TCP and UDP when asked: the kernel picks it (port 0), so runs in
    /// parallel do not collide; the daemon binds it moments later.
    /// </summary>
    public static int Free()
    {
        for (int attempt = 0; ; attempt++)
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException) when (attempt < 20)
            {
                // Taken for UDP: draw another.
            }
        }
    }
}
