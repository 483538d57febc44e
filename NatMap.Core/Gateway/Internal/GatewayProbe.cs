using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using NatMap.Sockets.Internal;

namespace NatMap.Gateway.Internal;

/// <summary>
/// For <c>natmap check</c>: which of PCP, NAT-PMP and UPnP IGD the home router answers (PCP
/// ANNOUNCE, NAT-PMP's external address request, SSDP and GetExternalIPAddress), and the external
/// address it believes it has. Nothing is mapped.
/// </summary>
internal static class GatewayProbe
{
    public static async Task<GatewayProbeReport> RunAsync(IPAddress? gateway, IPAddress? bindAddress, string? bindInterface, CancellationToken cancellationToken)
    {
        gateway ??= DefaultGateway.Find(bindAddress, bindInterface);
        if (gateway is null)
        {
            return new GatewayProbeReport(null, []);
        }

        var local = bindAddress is { } bind && !bind.Equals(IPAddress.Any) ? bind : null;
        var sockets = new BoundSocketFactory(SocketSettings.Interface(bindInterface), NullLogger.Instance);
        var pcp = new PcpClient(gateway, local) { Attempts = 3, Sockets = sockets };
        var natPmp = new NatPmpClient(gateway, local) { Attempts = 3, Sockets = sockets };
        var probes = new[]
        {
            ProbeAsync(GatewayProtocol.Pcp, async ct => (await pcp.ProbeAsync(ct).ConfigureAwait(false)) is { } reason ? throw new GatewayProbeFailed(reason) : null, cancellationToken),
            ProbeAsync(GatewayProtocol.NatPmp, async ct => await natPmp.GetExternalAddressAsync(ct).ConfigureAwait(false), cancellationToken),
            ProbeAsync(GatewayProtocol.Upnp, async ct =>
            {
                using var igd = await UpnpIgdClient.DiscoverAsync(gateway, local, sockets, ct).ConfigureAwait(false);
                return await igd.GetExternalIPAddressAsync(ct).ConfigureAwait(false);
            }, cancellationToken),
        };
        return new GatewayProbeReport(gateway, await Task.WhenAll(probes).ConfigureAwait(false));
    }

    /// <summary>
    /// Private or reserved IPv4 (RFC 6890: this network, RFC 1918, shared CGN space, loopback, link
    /// local, IETF protocol assignments, the documentation ranges, benchmarking, class E): what a
    /// router behind another NAT has as its external address.
    /// </summary>
    public static bool IsPrivateOrReserved(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return b[0] is 0 or 10 or 127 or >= 240
            || (b[0] == 100 && (b[1] & 0xC0) == 64)
            || (b[0] == 169 && b[1] == 254)
            || (b[0] == 172 && (b[1] & 0xF0) == 16)
            || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 198 && (b[1] & 0xFE) == 18)
            || (b[0] == 198 && b[1] == 51 && b[2] == 100)
            || (b[0] == 203 && b[1] == 0 && b[2] == 113);
    }

    private static async Task<GatewayProbeAnswer> ProbeAsync(GatewayProtocol protocol, Func<CancellationToken, Task<IPAddress?>> probe, CancellationToken cancellationToken)
    {
        try
        {
            return new GatewayProbeAnswer(protocol, true, await probe(cancellationToken).ConfigureAwait(false), null);
        }
        catch (NatMapException ex) when (ex.Kind == NatMapErrorKind.GatewayRefused)
        {
            // An error result is an answer: the protocol is there, it only refused.
            return new GatewayProbeAnswer(protocol, true, null, ex.Message);
        }
        catch (Exception ex) when (ex is NatMapException or GatewayProbeFailed)
        {
            return new GatewayProbeAnswer(protocol, false, null, ex.Message);
        }
    }

    private sealed class GatewayProbeFailed(string message) : Exception(message);
}
