using System.Net;
using System.Net.Sockets;
using NatMap.Stun;

namespace NatMap.Mapping.Internal;

/// <summary>
/// The address-family rules that <see cref="PortMapperOptions"/> checks and <c>natmap check</c>
/// applies to its options too, so that one mistake reads the same in both commands.
/// </summary>
internal static class AddressFamilyRules
{
    public static string Name(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";

    /// <summary>Why <paramref name="address"/> cannot be bound when running over <paramref name="family"/>, or null.</summary>
    public static string? BindAddressProblem(IPAddress? address, AddressFamily family) =>
        address is not null && address.AddressFamily != family
            ? $"bind address {address} is not an {Name(family)} address, but {Name(family)} is in use"
            : null;

    /// <summary>Why none of <paramref name="servers"/> can be reached over <paramref name="family"/>, or null.</summary>
    public static string? ServersProblem(IEnumerable<StunServerEndPoint> servers, AddressFamily family) =>
        servers.Any(s => s.Address is null || s.Address.AddressFamily == family)
            ? null
            : $"no STUN server can be reached over {Name(family)}: every one given is an address of the other family";
}
