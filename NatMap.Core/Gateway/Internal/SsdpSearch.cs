using System.Net;
using System.Net.Sockets;
using System.Text;
using NatMap.Sockets.Internal;

namespace NatMap.Gateway.Internal;

/// <summary>
/// SSDP discovery of an IGD (UPnP Device Architecture 1.1 section 1.3.2): M-SEARCH for IGD v1 and
/// v2 to the multicast group and, where the gateway is known, to it directly. An answer counts only
/// when its LOCATION is an http URL on the address it came from; the gateway's own answer is taken
/// as soon as it arrives, and the others are kept in arrival order in case it never does.
/// </summary>
internal static class SsdpSearch
{
    public static readonly IPEndPoint MulticastGroup = new(IPAddress.Parse("239.255.255.250"), 1900);

    public const int Port = 1900;

    private static readonly string[] SearchTargets =
    [
        "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
        "urn:schemas-upnp-org:device:InternetGatewayDevice:2",
    ];

    public static byte[] BuildRequest(string searchTarget) => Encoding.ASCII.GetBytes(
        "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\nST: " + searchTarget + "\r\n\r\n");

    /// <summary>The LOCATION of an SSDP answer from <paramref name="source"/>, or null when it is not an acceptable answer.</summary>
    public static Uri? TryReadLocation(ReadOnlySpan<byte> datagram, IPAddress source)
    {
        if (datagram.Length > 4096)
        {
            return null;
        }

        var text = Encoding.ASCII.GetString(datagram);
        if (!text.StartsWith("HTTP/1.", StringComparison.Ordinal) || !text.AsSpan(0, Math.Min(text.Length, 16)).Contains(" 200", StringComparison.Ordinal))
        {
            return null;
        }

        foreach (var line in text.Split("\r\n"))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !line.AsSpan(0, colon).Trim().Equals("LOCATION", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!Uri.TryCreate(line[(colon + 1)..].Trim(), UriKind.Absolute, out var location) || location.Scheme != Uri.UriSchemeHttp)
            {
                return null;
            }

            return IPAddress.TryParse(location.Host.Trim('[', ']'), out var host) && host.Equals(source) ? location : null;
        }

        return null;
    }

    /// <summary>
    /// The description URLs found within <paramref name="timeout"/>, the preferred gateway's first
    /// (the search ends as soon as it answers, or at the first answer when none is preferred). A
    /// socket bound to the <c>-i</c> interface by <paramref name="sockets"/> sends the multicast
    /// search out of that interface, whatever the route to the group says.
    /// </summary>
    public static async Task<IReadOnlyList<Uri>> SearchAsync(IReadOnlyList<IPEndPoint> targets, IPAddress? localAddress, BoundSocketFactory sockets, IPAddress? preferred, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var socket = sockets.Create(AddressFamily.InterNetwork, ProtocolType.Udp, shareLocalPort: false);
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 2);
        socket.Bind(new IPEndPoint(localAddress ?? IPAddress.Any, 0));
        int sent = 0;
        SocketException? lastError = null;
        foreach (var target in targets)
        {
            foreach (var searchTarget in SearchTargets)
            {
                try
                {
                    await socket.SendToAsync(BuildRequest(searchTarget), SocketFlags.None, target, cancellationToken).ConfigureAwait(false);
                    sent++;
                }
                catch (SocketException ex)
                {
                    // No multicast route (no default route on the LAN interface) is common; the unicast search still goes.
                    lastError = ex;
                }
            }
        }

        var found = new List<Uri>();
        if (sent == 0)
        {
            throw lastError ?? new SocketException((int)SocketError.NetworkUnreachable);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var buffer = new byte[4097];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (true)
            {
                var received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, from, deadline.Token).ConfigureAwait(false);
                var source = ((IPEndPoint)received.RemoteEndPoint).Address;
                if (TryReadLocation(buffer.AsSpan(0, received.ReceivedBytes), source) is not { } location || found.Contains(location))
                {
                    continue;
                }

                if (preferred is null || source.Equals(preferred))
                {
                    found.Insert(0, location);
                    break;
                }

                found.Add(location);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        catch (SocketException) when (found.Count > 0)
        {
        }

        return found;
    }
}
