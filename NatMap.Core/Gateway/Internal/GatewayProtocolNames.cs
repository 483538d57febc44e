namespace NatMap.Gateway.Internal;

/// <summary>The words for <see cref="GatewayProtocol"/> in logs, metrics and the CLI.</summary>
internal static class GatewayProtocolNames
{
    /// <summary>As written in logs and reports: <c>PCP</c>, <c>NAT-PMP</c>, <c>UPnP</c>.</summary>
    public static string Display(GatewayProtocol protocol) => protocol switch
    {
        GatewayProtocol.Pcp => "PCP",
        GatewayProtocol.NatPmp => "NAT-PMP",
        GatewayProtocol.Upnp => "UPnP",
        GatewayProtocol.Auto => "auto",
        _ => "none",
    };

    /// <summary>As a metric tag and on the command line: <c>pcp</c>, <c>nat-pmp</c>, <c>upnp</c>.</summary>
    public static string Tag(GatewayProtocol protocol) => Display(protocol).ToLowerInvariant();
}
