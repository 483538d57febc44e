using System.Net;

namespace NatMap.Sockets.Internal;

/// <summary>
/// IPv4-mapped IPv6 addresses (<c>::ffff:192.0.2.1</c>, RFC 4291 section 2.5.5.2) as plain IPv4: a
/// dual-stack socket reports IPv4 peers that way, and every comparison, message and notify argument
/// wants the IPv4 form.
/// </summary>
internal static class IPv4Mapped
{
    /// <summary>The IPv4 address for an IPv4-mapped one, else <paramref name="address"/> itself.</summary>
    public static IPAddress Unmap(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>The endpoint with its address unmapped; the same object when there is nothing to unmap.</summary>
    public static IPEndPoint Unmap(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;
}
