using System.Net;

namespace NatMap.Gateway.Internal;

/// <summary>The gateway choice of <see cref="Mapping.PortMapperOptions"/>, checked.</summary>
internal sealed record GatewaySettings(GatewayProtocol Protocol, IPAddress? Gateway, TimeSpan Lease, IPAddress? BindAddress, string? BindInterface);
