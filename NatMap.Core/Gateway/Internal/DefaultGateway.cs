using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using NatMap.Sockets.Internal;

namespace NatMap.Gateway.Internal;

/// <summary>
/// The default route's gateway for the mapper's binding: of the <c>-i</c> interface, else of the
/// interface that holds the bound address, else of the first interface that is up and has one.
/// </summary>
internal static class DefaultGateway
{
    private const string RouteTable = "/proc/net/route";
    private const int RouteUp = 0x1;
    private const int RouteGateway = 0x2;

    public static IPAddress? Find(IPAddress? bindAddress, string? bindInterface)
    {
        // .NET's gateway list for an interface is the next hop of every route of it in
        // /proc/net/route, so a static route's router could come first: the -i interface's own
        // default route is read instead.
        if (bindInterface is not null && OperatingSystem.IsLinux() && ReadRouteTable() is { } routes)
        {
            return FromRouteTable(routes, bindInterface);
        }

        NetworkInterface[] interfaces;
        try
        {
            interfaces = NetworkInterface.GetAllNetworkInterfaces();
        }
        catch (NetworkInformationException)
        {
            return null;
        }

        bool wildcard = bindAddress is null || bindAddress.Equals(IPAddress.Any) || bindAddress.Equals(IPAddress.IPv6Any);
        foreach (var nic in interfaces)
        {
            if (nic.OperationalStatus == OperationalStatus.Down)
            {
                continue;
            }

            if (bindInterface is not null && nic.Name != bindInterface)
            {
                continue;
            }

            IPInterfaceProperties properties;
            try
            {
                properties = nic.GetIPProperties();
            }
            catch (NetworkInformationException)
            {
                continue;
            }

            if (bindInterface is null && !wildcard && !properties.UnicastAddresses.Any(u => u.Address.Equals(bindAddress)))
            {
                continue;
            }

            foreach (var gateway in properties.GatewayAddresses)
            {
                if (gateway.Address.AddressFamily == AddressFamily.InterNetwork && !gateway.Address.Equals(IPAddress.Any))
                {
                    return gateway.Address;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The gateway of <paramref name="interfaceName"/>'s default route (destination and mask 0, up,
    /// via a gateway) in the text of /proc/net/route, the lowest metric first; null when it has none.
    /// The file shows the main table only: a default route in another table (policy routing) is
    /// not found, and the gateway is then to be named.
    /// </summary>
    public static IPAddress? FromRouteTable(string routes, string interfaceName)
    {
        IPAddress? best = null;
        long bestMetric = long.MaxValue;
        foreach (var line in routes.Split('\n'))
        {
            // Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT
            var fields = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 8 || fields[0] != interfaceName
                || !ProcNetTable.TryParseAddress(fields[1], out var destination) || !ProcNetTable.TryParseAddress(fields[2], out var gateway)
                || !uint.TryParse(fields[3], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint flags)
                || !long.TryParse(fields[6], NumberStyles.None, CultureInfo.InvariantCulture, out long metric) || !ProcNetTable.TryParseAddress(fields[7], out var mask))
            {
                continue;
            }

            if (destination.Equals(IPAddress.Any) && mask.Equals(IPAddress.Any) && !gateway.Equals(IPAddress.Any)
                && (flags & (RouteUp | RouteGateway)) == (RouteUp | RouteGateway) && metric < bestMetric)
            {
                bestMetric = metric;
                best = gateway;
            }
        }

        return best;
    }

    private static string? ReadRouteTable()
    {
        try
        {
            return File.ReadAllText(RouteTable);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
