using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Sockets.Internal;

namespace NatMap.Stun.Internal;

/// <summary>
/// Turns a configured STUN server into the addresses to try, for <see cref="StunClient"/> and the
/// RFC 5780 check alike. A failure is a reason for the failover list, never an exception.
/// </summary>
internal static class StunServerResolver
{
    /// <summary>
    /// The server's addresses of <paramref name="family"/> (with <see cref="AddressFamily.Unspecified"/>,
    /// of either family, in the resolver's order), or null and why none.
    /// </summary>
    public static async Task<(IPAddress[]? Addresses, string? Failure)> ResolveAsync(
        StunServerEndPoint server, AddressFamily family, ILogger logger, CancellationToken cancellationToken)
    {
        if (server.Address is { } literal)
        {
            var address = IPv4Mapped.Unmap(literal);
            return family == AddressFamily.Unspecified || address.AddressFamily == family
                ? ([address], null)
                : (null, "is an " + FamilyName(address.AddressFamily) + " address but the query is " + FamilyName(family));
        }

        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(server.Host, family, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            return (null, "cannot resolve (" + SocketErrorClassifier.Describe(ex) + ")");
        }

        addresses = Array.FindAll(addresses, a => family == AddressFamily.Unspecified
            ? a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
            : a.AddressFamily == family);
        if (addresses.Length == 0)
        {
            return (null, family == AddressFamily.Unspecified ? "no IPv4 or IPv6 address" : "no " + FamilyName(family) + " address");
        }

        if (logger.IsEnabled(LogLevel.Debug))
        {
            StunLog.Resolved(logger, server, string.Join(", ", (object[])addresses));
        }

        return (addresses, null);
    }

    /// <summary>"IPv4" or "IPv6", as the messages say it.</summary>
    public static string FamilyName(AddressFamily family) => family == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
}
