using System.Net;
using NatMap.Gateway.Internal;
using NatMap.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Gateway;

/// <summary>A NAT-PMP client (RFC 6886) for one gateway: its external address, and port mappings to this host.</summary>
/// <example>
/// <code>
/// var natPmp = new NatPmpClient(IPAddress.Parse("192.0.2.1"));
/// IPAddress external = await natPmp.GetExternalAddressAsync();
/// GatewayMapping granted = await natPmp.MapAsync(MappingProtocol.Tcp, 5555, 5555, TimeSpan.FromHours(1));
/// await natPmp.DeleteAsync(MappingProtocol.Tcp, 5555);
/// </code>
/// </example>
public sealed class NatPmpClient : IGatewayPortClient
{
    private readonly IPEndPoint _server;
    private readonly IPAddress? _localAddress;

    /// <summary>A client of the NAT-PMP server on <paramref name="gateway"/>'s port 5351.</summary>
    /// <param name="gateway">The gateway's IPv4 address.</param>
    /// <param name="localAddress">The local address to send from, or <see langword="null"/> for the one the route gives.</param>
    public NatPmpClient(IPAddress gateway, IPAddress? localAddress = null)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        Gateway = gateway;
        _server = new IPEndPoint(gateway, NatPmpCodec.Port);
        _localAddress = localAddress;
    }

    /// <summary>The gateway's address.</summary>
    public IPAddress Gateway { get; }

    /// <summary>How many times a request is sent (after 250 ms, doubling) before the gateway counts as silent. Default 4.</summary>
    public int Attempts { get; set; } = GatewayUdpExchange.DefaultAttempts;

    /// <summary>Makes the request sockets: the mapper's binds them to the <c>-i</c> interface.</summary>
    internal BoundSocketFactory Sockets { get; init; } = BoundSocketFactory.Plain;

    GatewayProtocol IGatewayPortClient.Protocol => GatewayProtocol.NatPmp;

    /// <summary>The gateway's external address (section 3.2).</summary>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>The address; behind an ISP's NAT it is often private or reserved.</returns>
    /// <exception cref="NatMapException">
    /// <see cref="NatMapErrorKind.GatewayUnavailable"/>: no answer, or a malformed one;
    /// <see cref="NatMapErrorKind.GatewayRefused"/>: an error result.
    /// </exception>
    public async Task<IPAddress> GetExternalAddressAsync(CancellationToken cancellationToken = default)
    {
        var response = await RequestAsync(NatPmpCodec.ExternalAddressOpcode, static buffer => NatPmpCodec.WriteExternalAddressRequest(buffer), "the external address", cancellationToken).ConfigureAwait(false);
        return response.ExternalAddress!;
    }

    /// <summary>
    /// Asks for an external port forwarded to <paramref name="internalPort"/> of this host, or
    /// renews it (section 3.3). The gateway may grant another external port: read the result.
    /// </summary>
    /// <param name="protocol">TCP or UDP.</param>
    /// <param name="internalPort">This host's port, 1 to 65535.</param>
    /// <param name="suggestedExternalPort">The external port wanted, or 0 for any.</param>
    /// <param name="lifetime">The lifetime wanted, in whole seconds, more than zero.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>What the gateway granted (<see cref="GatewayMapping.ExternalAddress"/> is not part of the answer and is left null).</returns>
    /// <exception cref="NatMapException">As for <see cref="GetExternalAddressAsync"/>.</exception>
    public async Task<GatewayMapping> MapAsync(MappingProtocol protocol, int internalPort, int suggestedExternalPort, TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        GatewayArguments.CheckPort(internalPort, nameof(internalPort), allowZero: false);
        GatewayArguments.CheckPort(suggestedExternalPort, nameof(suggestedExternalPort), allowZero: true);
        uint seconds = GatewayArguments.Seconds(lifetime, nameof(lifetime));
        byte opcode = Opcode(protocol);
        var response = await RequestAsync(opcode, buffer => NatPmpCodec.WriteMapRequest(buffer, opcode, (ushort)internalPort, (ushort)suggestedExternalPort, seconds), "port " + internalPort, cancellationToken).ConfigureAwait(false);
        return new GatewayMapping(GatewayProtocol.NatPmp, Gateway, protocol, response.InternalPort, response.ExternalPort, TimeSpan.FromSeconds(response.Lifetime), null);
    }

    /// <summary>Deletes the mapping of <paramref name="internalPort"/> (section 3.4: lifetime 0, external port 0).</summary>
    /// <param name="protocol">TCP or UDP.</param>
    /// <param name="internalPort">This host's port.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>A task that completes when the gateway confirmed.</returns>
    /// <exception cref="NatMapException">As for <see cref="GetExternalAddressAsync"/>.</exception>
    public async Task DeleteAsync(MappingProtocol protocol, int internalPort, CancellationToken cancellationToken = default)
    {
        GatewayArguments.CheckPort(internalPort, nameof(internalPort), allowZero: false);
        byte opcode = Opcode(protocol);
        await RequestAsync(opcode, buffer => NatPmpCodec.WriteMapRequest(buffer, opcode, (ushort)internalPort, 0, 0), "port " + internalPort, cancellationToken).ConfigureAwait(false);
    }

    async Task<GatewayMapping> IGatewayPortClient.MapAsync(MappingProtocol protocol, int port, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var granted = await MapAsync(protocol, port, port, lifetime, cancellationToken).ConfigureAwait(false);
        IPAddress? external = null;
        try
        {
            external = await GetExternalAddressAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NatMapException)
        {
            // The address is only informative; the mapping stands without it.
        }

        return granted.WithExternalAddress(external);
    }

    Task<bool?> IGatewayPortClient.ExistsAsync(MappingProtocol protocol, int port, CancellationToken cancellationToken) =>
        Task.FromResult<bool?>(null);

    Task IGatewayPortClient.DeleteAsync(MappingProtocol protocol, int port, CancellationToken cancellationToken) =>
        DeleteAsync(protocol, port, cancellationToken);

    private static byte Opcode(MappingProtocol protocol) => protocol == MappingProtocol.Tcp ? NatPmpCodec.MapTcpOpcode : NatPmpCodec.MapUdpOpcode;

    private async Task<NatPmpResponse> RequestAsync(byte opcode, Func<byte[], int> write, string what, CancellationToken cancellationToken)
    {
        var (answer, _) = await GatewayUdpExchange.ExchangeAsync(
            _server,
            _localAddress,
            Sockets,
            _ =>
            {
                var buffer = new byte[12];
                return buffer[..write(buffer)];
            },
            message => NatPmpCodec.TryReadResponse(message.Span, opcode, out _),
            Attempts,
            "NAT-PMP",
            cancellationToken).ConfigureAwait(false);
        NatPmpCodec.TryReadResponse(answer, opcode, out var response);
        if (response.Result != 0)
        {
            return ThrowHelper.Throw<NatPmpResponse>(
                response.Result == NatPmpCodec.UnsupportedVersion ? NatMapErrorKind.GatewayUnavailable : NatMapErrorKind.GatewayRefused,
                "NAT-PMP gateway " + _server + " refused " + what + ": " + NatPmpCodec.Describe(response.Result));
        }

        return response;
    }
}
