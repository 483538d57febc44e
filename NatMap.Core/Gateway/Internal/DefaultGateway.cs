using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace NatMap.Gateway.Internal;

/// <summary>
/// The default route's gateway for the mapper's binding: of the <c>-i</c> interface, else of the
/// interface that holds the bound address, else of the first interface that is up and has one
/// (on Linux .NET reads these from /proc/net/route).
/// </summary>
internal static class DefaultGateway
{
    public static IPAddress? Find(IPAddress? bindAddress, string? bindInterface)
    {
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
}
