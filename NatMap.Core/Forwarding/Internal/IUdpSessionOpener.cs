using System.Net;

namespace NatMap.Forwarding.Internal;

/// <summary>How a <see cref="UdpSessionTable"/> opens the session of a new client: the portable relay or the Linux event loop.</summary>
internal interface IUdpSessionOpener
{
    /// <summary>
    /// Opens the session of a new client and adds it to the table. Returns it when it can take
    /// <paramref name="firstDatagram"/> now; null when opening failed (logged), or while the
    /// target's host name is being resolved (the first datagram is then sent once connected).
    /// </summary>
    UdpSession? Open(SocketAddress from, ReadOnlySpan<byte> firstDatagram);
}
