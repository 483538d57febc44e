using System.Globalization;
using System.Net;
using NatMap.Gateway.Internal;

namespace NatMap.Gateway;

/// <summary>
/// A port forwarding granted by a home router, in the router's own terms. Behind a second NAT (the
/// ISP's) the router's external address and port are not what the internet reaches: the mapper
/// reports the public endpoint that STUN shows, and this only says how the inner layer was opened.
/// </summary>
public sealed class GatewayMapping
{
    internal GatewayMapping(GatewayProtocol protocol, IPAddress gateway, MappingProtocol transport, int internalPort, int externalPort, TimeSpan lifetime, IPAddress? externalAddress)
    {
        Protocol = protocol;
        Gateway = gateway;
        Transport = transport;
        InternalPort = internalPort;
        ExternalPort = externalPort;
        Lifetime = lifetime;
        ExternalAddress = externalAddress;
    }

    /// <summary>The protocol that opened the port: <see cref="GatewayProtocol.Pcp"/>, <see cref="GatewayProtocol.NatPmp"/> or <see cref="GatewayProtocol.Upnp"/>.</summary>
    public GatewayProtocol Protocol { get; }

    /// <summary>The router's address (the PCP or NAT-PMP server, or the IGD's host).</summary>
    public IPAddress Gateway { get; }

    /// <summary>TCP or UDP.</summary>
    public MappingProtocol Transport { get; }

    /// <summary>The host's port that the router forwards to.</summary>
    public int InternalPort { get; }

    /// <summary>The router's external port.</summary>
    public int ExternalPort { get; }

    /// <summary>The lease granted; <see cref="TimeSpan.Zero"/> for a permanent one (deleted on exit).</summary>
    public TimeSpan Lifetime { get; }

    /// <summary>
    /// The router's external address as it sees it, or <see langword="null"/> when it did not say. A
    /// private or reserved address here is normal behind an ISP's NAT, and no reason to give up.
    /// </summary>
    public IPAddress? ExternalAddress { get; }

    /// <summary>This grant with the router's external address learnt by another request.</summary>
    internal GatewayMapping WithExternalAddress(IPAddress? externalAddress) =>
        new(Protocol, Gateway, Transport, InternalPort, ExternalPort, Lifetime, externalAddress);

    /// <summary>A short description, such as <c>PCP 203.0.113.1:5555 -> port 5555 (lease 3600 s)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{GatewayProtocolNames.Display(Protocol)} {ExternalAddress?.ToString() ?? "?"}:{ExternalPort} -> port {InternalPort} (lease {(Lifetime == TimeSpan.Zero ? "permanent" : ((long)Lifetime.TotalSeconds).ToString(CultureInfo.InvariantCulture) + " s")})");
}
