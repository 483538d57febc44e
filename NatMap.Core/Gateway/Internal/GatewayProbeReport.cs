using System.Net;

namespace NatMap.Gateway.Internal;

/// <summary>The home router probed (null when no default gateway is known) and what each protocol answered.</summary>
internal sealed record GatewayProbeReport(IPAddress? Gateway, IReadOnlyList<GatewayProbeAnswer> Answers)
{
    /// <summary>The router's idea of its external address: the first protocol that gave one.</summary>
    public IPAddress? ExternalAddress => Answers.Select(a => a.ExternalAddress).FirstOrDefault(a => a is not null);

    /// <summary>
    /// How many NAT layers the host is behind, when the router's external address shows more than one:
    /// a private or reserved address that is not the public one STUN saw means another NAT beyond it.
    /// </summary>
    public int? NatLayers(IPAddress? stunPublic) =>
        ExternalAddress is { } external && GatewayProbe.IsPrivateOrReserved(external) && stunPublic is not null && !external.Equals(stunPublic) ? 2 : null;
}
