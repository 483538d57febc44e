using System.Net;

namespace NatMap.Gateway.Internal;

/// <summary>What the mapper's policy needs of each protocol's client: map port P to P, check it, delete it.</summary>
internal interface IGatewayPortClient
{
    GatewayProtocol Protocol { get; }

    IPAddress Gateway { get; }

    /// <summary>Asks for external port <paramref name="port"/> to this host's <paramref name="port"/>; the answer may offer another.</summary>
    Task<GatewayMapping> MapAsync(MappingProtocol protocol, int port, TimeSpan lifetime, CancellationToken cancellationToken);

    /// <summary>Whether our mapping of <paramref name="port"/> is still there; null where the cheap check is a renewal.</summary>
    Task<bool?> ExistsAsync(MappingProtocol protocol, int port, CancellationToken cancellationToken);

    Task DeleteAsync(MappingProtocol protocol, int port, CancellationToken cancellationToken);
}
