using NatMap.Mapping;
using NatMap.Sockets.Internal;

namespace NatMap.Notify.Internal;

/// <summary>The ports a BitTorrent client is given for a mapping (see <see cref="PeerPortNotifierOptions"/>).</summary>
/// <param name="Listen">The port the client's peer traffic arrives on.</param>
/// <param name="Public">The port peers must be told: the public port.</param>
internal readonly record struct PeerPorts(int Listen, int Public)
{
    /// <summary>Whether peers learn the wrong port unless the client can announce another than it listens on.</summary>
    public bool NeedsAnnouncePort => Listen != Public;

    public static PeerPorts For(MappingChanged mapping, int? forwardTargetPort)
    {
        int publicPort = IPv4Mapped.Unmap(mapping.PublicEndPoint).Port;
        int listen = forwardTargetPort switch
        {
            null => mapping.PrivateEndPoint.Port,
            0 => publicPort,
            int target => target,
        };
        return new PeerPorts(listen, publicPort);
    }
}
