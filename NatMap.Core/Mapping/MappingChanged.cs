using System.Net;
using System.Net.Sockets;
using NatMap.Gateway;
using NatMap.Ip4p;

namespace NatMap.Mapping;

/// <summary>A new or changed port mapping, as reported by <see cref="IPortMapper.WatchAsync"/>.</summary>
public sealed class MappingChanged
{
    /// <summary>Creates an event.</summary>
    /// <param name="protocol">The mapping's protocol.</param>
    /// <param name="publicEndPoint">The public endpoint that the NAT maps to the private one.</param>
    /// <param name="privateEndPoint">The local (bound) endpoint.</param>
    /// <param name="previous">The mapping this one replaces, or <see langword="null"/> for the first.</param>
    public MappingChanged(MappingProtocol protocol, IPEndPoint publicEndPoint, IPEndPoint privateEndPoint, MappingChanged? previous = null)
    {
        ArgumentNullException.ThrowIfNull(publicEndPoint);
        ArgumentNullException.ThrowIfNull(privateEndPoint);
        Protocol = protocol;
        PublicEndPoint = publicEndPoint;
        PrivateEndPoint = privateEndPoint;
        PreviousPublicEndPoint = previous?.PublicEndPoint;
        PreviousPrivateEndPoint = previous?.PrivateEndPoint;
        Ip4p = publicEndPoint.AddressFamily == AddressFamily.InterNetwork ? Ip4pCodec.Encode(publicEndPoint) : null;
    }

    /// <summary>The mapping's protocol.</summary>
    public MappingProtocol Protocol { get; }

    /// <summary>The public endpoint: what peers on the internet connect to.</summary>
    public IPEndPoint PublicEndPoint { get; }

    /// <summary>The local endpoint the mapping belongs to.</summary>
    public IPEndPoint PrivateEndPoint { get; }

    /// <summary>The IP4P form of <see cref="PublicEndPoint"/>; <see langword="null"/> for an IPv6 mapping.</summary>
    public IPAddress? Ip4p { get; }

    /// <summary>The public endpoint of the mapping this one replaces, if any.</summary>
    public IPEndPoint? PreviousPublicEndPoint { get; }

    /// <summary>The private endpoint of the mapping this one replaces, if any.</summary>
    public IPEndPoint? PreviousPrivateEndPoint { get; }

    /// <summary>
    /// How the home router in front of the host was opened for this mapping (protocol, lease, the
    /// router's own external address), or <see langword="null"/> when
    /// <see cref="PortMapperOptions.Gateway"/> is <see cref="GatewayProtocol.None"/> or no router
    /// answered. Behind an ISP's NAT its external endpoint is not <see cref="PublicEndPoint"/>.
    /// </summary>
    public GatewayMapping? Gateway { get; internal init; }

    /// <summary>Whether this event describes the same mapping as <paramref name="other"/>.</summary>
    /// <param name="other">Another event, or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when protocol, public and private endpoints are equal.</returns>
    public bool IsSameMapping(MappingChanged? other) =>
        other is not null && other.Protocol == Protocol && other.PublicEndPoint.Equals(PublicEndPoint) && other.PrivateEndPoint.Equals(PrivateEndPoint);
}
