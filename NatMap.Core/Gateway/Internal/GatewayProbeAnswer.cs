using System.Net;

namespace NatMap.Gateway.Internal;

/// <summary>What one protocol's probe of the home router found.</summary>
internal sealed record GatewayProbeAnswer(GatewayProtocol Protocol, bool Answered, IPAddress? ExternalAddress, string? Reason);
