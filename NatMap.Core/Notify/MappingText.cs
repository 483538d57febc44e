using System.Globalization;
using System.Net.Sockets;
using NatMap.Ip4p;
using NatMap.Mapping;
using NatMap.Sockets.Internal;

namespace NatMap.Notify;

/// <summary>
/// The text forms of a mapping that the original natmap hands to its notify script and prints on
/// standard output: <c>public-addr public-port ip4p private-port protocol private-addr</c>.
/// </summary>
public static class MappingText
{
    /// <summary>
    /// The six script arguments, in the original natmap's order: public address, public port, IP4P text
    /// (<see cref="Ip4pCodec.Format"/>; an empty string for an IPv6 mapping), private port, protocol
    /// (<c>tcp</c> or <c>udp</c>) and private address.
    /// </summary>
    /// <param name="mapping">The mapping.</param>
    /// <returns>A new array of six strings.</returns>
    public static string[] ToArguments(MappingChanged mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        var publicEndPoint = IPv4Mapped.Unmap(mapping.PublicEndPoint);
        var privateEndPoint = IPv4Mapped.Unmap(mapping.PrivateEndPoint);
        return
        [
            publicEndPoint.Address.ToString(),
            publicEndPoint.Port.ToString(CultureInfo.InvariantCulture),
            publicEndPoint.AddressFamily == AddressFamily.InterNetwork ? Ip4pCodec.Format(publicEndPoint) : string.Empty,
            privateEndPoint.Port.ToString(CultureInfo.InvariantCulture),
            FormatProtocol(mapping.Protocol),
            privateEndPoint.Address.ToString(),
        ];
    }

    /// <summary>
    /// The line the original natmap prints for a mapping when no script is given: the six arguments of
    /// <see cref="ToArguments"/> joined by single spaces, without a line terminator. For an IPv6 mapping the
    /// IP4P field is empty, so two spaces follow the public port, exactly as the original prints it.
    /// </summary>
    /// <param name="mapping">The mapping.</param>
    /// <returns>For example <c>203.0.113.1 45555 2001::b1f3:cb00:7101 5555 tcp 192.0.2.2</c>.</returns>
    public static string FormatLine(MappingChanged mapping) => string.Join(' ', ToArguments(mapping));

    /// <summary>The protocol as the original natmap writes it.</summary>
    /// <param name="protocol">The protocol.</param>
    /// <returns><c>tcp</c> or <c>udp</c>.</returns>
    public static string FormatProtocol(MappingProtocol protocol) => protocol == MappingProtocol.Udp ? "udp" : "tcp";
}
