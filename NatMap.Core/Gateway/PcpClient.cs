using System.Net;
using System.Security.Cryptography;
using NatMap.Gateway.Internal;
using NatMap.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Gateway;

/// <summary>
/// A PCP client (RFC 6887) for MAP requests to one server, normally the default gateway. One random
/// mapping nonce is drawn per client and sent with every request, so the mappings it creates can be
/// refreshed and deleted by it alone (section 11.1).
/// </summary>
/// <example>
/// Forward the router's UDP port 5555 to this host's port 5555 for an hour:
/// <code>
/// var pcp = new PcpClient(IPAddress.Parse("192.0.2.1"));
/// GatewayMapping granted = await pcp.MapAsync(MappingProtocol.Udp, 5555, 5555, TimeSpan.FromHours(1));
/// Console.WriteLine(granted);
/// await pcp.DeleteAsync(MappingProtocol.Udp, 5555);
/// </code>
/// </example>
public sealed class PcpClient : IGatewayPortClient
{
    private readonly byte[] _nonce = RandomNumberGenerator.GetBytes(PcpCodec.NonceLength);
    private readonly IPEndPoint _server;
    private readonly IPAddress? _localAddress;

    /// <summary>A client of the PCP server on <paramref name="gateway"/>'s port 5351.</summary>
    /// <param name="gateway">The server's address.</param>
    /// <param name="localAddress">The local address to send from, or <see langword="null"/> for the one the route gives.</param>
    public PcpClient(IPAddress gateway, IPAddress? localAddress = null)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        Gateway = gateway;
        _server = new IPEndPoint(gateway, PcpCodec.Port);
        _localAddress = localAddress;
    }

    /// <summary>The server's address.</summary>
    public IPAddress Gateway { get; }

    /// <summary>How many times a request is sent (after 250 ms, doubling) before the server counts as silent. Default 4.</summary>
    public int Attempts { get; set; } = GatewayUdpExchange.DefaultAttempts;

    /// <summary>Makes the request sockets: the mapper's binds them to the <c>-i</c> interface.</summary>
    internal BoundSocketFactory Sockets { get; init; } = BoundSocketFactory.Plain;

    GatewayProtocol IGatewayPortClient.Protocol => GatewayProtocol.Pcp;

    /// <summary>
    /// Asks the server to forward an external port to <paramref name="internalPort"/> of this host
    /// (section 11), or refreshes the mapping this client made. The server may grant another external
    /// port or a shorter or longer lifetime than asked: read them from the result.
    /// </summary>
    /// <param name="protocol">TCP or UDP.</param>
    /// <param name="internalPort">This host's port, 1 to 65535.</param>
    /// <param name="suggestedExternalPort">The external port wanted, or 0 for any.</param>
    /// <param name="lifetime">The lifetime wanted, in whole seconds, more than zero.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>What the server granted.</returns>
    /// <exception cref="NatMapException">
    /// <see cref="NatMapErrorKind.GatewayUnavailable"/>: no answer, or a malformed one;
    /// <see cref="NatMapErrorKind.GatewayRefused"/>: the server answered with an error result.
    /// </exception>
    public async Task<GatewayMapping> MapAsync(MappingProtocol protocol, int internalPort, int suggestedExternalPort, TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        GatewayArguments.CheckPort(internalPort, nameof(internalPort), allowZero: false);
        GatewayArguments.CheckPort(suggestedExternalPort, nameof(suggestedExternalPort), allowZero: true);
        uint seconds = GatewayArguments.Seconds(lifetime, nameof(lifetime));
        var answer = await RequestAsync(protocol, internalPort, suggestedExternalPort, seconds, cancellationToken).ConfigureAwait(false);
        return new GatewayMapping(GatewayProtocol.Pcp, Gateway, protocol, answer.InternalPort, answer.ExternalPort, TimeSpan.FromSeconds(answer.Lifetime), answer.ExternalAddress);
    }

    /// <summary>Deletes the mapping of <paramref name="internalPort"/> that this client made (a MAP with lifetime 0, section 15).</summary>
    /// <param name="protocol">TCP or UDP.</param>
    /// <param name="internalPort">This host's port.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>A task that completes when the server confirmed.</returns>
    /// <exception cref="NatMapException">As for <see cref="MapAsync"/>.</exception>
    public async Task DeleteAsync(MappingProtocol protocol, int internalPort, CancellationToken cancellationToken = default)
    {
        GatewayArguments.CheckPort(internalPort, nameof(internalPort), allowZero: false);
        await RequestAsync(protocol, internalPort, 0, 0, cancellationToken).ConfigureAwait(false);
    }

    Task<GatewayMapping> IGatewayPortClient.MapAsync(MappingProtocol protocol, int port, TimeSpan lifetime, CancellationToken cancellationToken) =>
        MapAsync(protocol, port, port, lifetime, cancellationToken);

    Task<bool?> IGatewayPortClient.ExistsAsync(MappingProtocol protocol, int port, CancellationToken cancellationToken) =>
        Task.FromResult<bool?>(null);

    Task IGatewayPortClient.DeleteAsync(MappingProtocol protocol, int port, CancellationToken cancellationToken) =>
        DeleteAsync(protocol, port, cancellationToken);

    /// <summary>Whether a PCP server answers (ANNOUNCE, section 14.1): null when it does, else the reason.</summary>
    internal async Task<string?> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            var (answer, _) = await GatewayUdpExchange.ExchangeAsync(
                _server,
                _localAddress,
            Sockets,
                client =>
                {
                    var request = new byte[24];
                    PcpCodec.WriteAnnounceRequest(request, client);
                    return request;
                },
                message => message.Length >= 24 && (message.Span[1] & PcpCodec.ResponseBit) != 0 && (message.Span[0] == 0 || (message.Span[1] & 0x7F) == 0),
                Attempts,
                "PCP",
                cancellationToken).ConfigureAwait(false);
            return answer[0] == 0 ? "the server speaks NAT-PMP only" : null;
        }
        catch (NatMapException ex)
        {
            return ex.Message;
        }
    }

    private async Task<PcpMapResponse> RequestAsync(MappingProtocol protocol, int internalPort, int suggestedExternalPort, uint lifetime, CancellationToken cancellationToken)
    {
        byte transport = protocol == MappingProtocol.Tcp ? PcpCodec.ProtocolTcp : PcpCodec.ProtocolUdp;
        var (answer, _) = await GatewayUdpExchange.ExchangeAsync(
            _server,
            _localAddress,
            Sockets,
            client =>
            {
                var request = new byte[PcpCodec.MapLength];
                PcpCodec.WriteMapRequest(request, client, _nonce, transport, (ushort)internalPort, (ushort)suggestedExternalPort, lifetime);
                return request;
            },
            message => IsAnswer(message, transport, internalPort),
            Attempts,
            "PCP",
            cancellationToken).ConfigureAwait(false);
        if (answer.Length >= 2 && answer[0] == 0)
        {
            return ThrowHelper.Throw<PcpMapResponse>(NatMapErrorKind.GatewayUnavailable, "PCP server " + _server + " speaks NAT-PMP only");
        }

        PcpCodec.TryReadMapResponse(answer, out var response);
        if (response.Result != PcpResultCode.Success)
        {
            return ThrowHelper.Throw<PcpMapResponse>(NatMapErrorKind.GatewayRefused, "PCP server " + _server + " refused the mapping of port " + internalPort + ": " + PcpCodec.Describe(response.Result));
        }

        return response;
    }

    /// <summary>
    /// The answer to this request: a MAP response with our nonce, protocol and port (section 11.4);
    /// an error shorter than a MAP, or a NAT-PMP server's "unsupported version" (version 0), counts too.
    /// </summary>
    private bool IsAnswer(ReadOnlyMemory<byte> message, byte transport, int internalPort)
    {
        var span = message.Span;
        if (span.Length >= 4 && span[0] == 0 && (span[1] & PcpCodec.ResponseBit) != 0)
        {
            return true;
        }

        if (span.Length < 2 || span[0] != PcpCodec.Version)
        {
            return false;
        }

        if (!PcpCodec.TryReadMapResponse(message, out var response))
        {
            return false;
        }

        if (response.Nonce.IsEmpty)
        {
            return response.Result != PcpResultCode.Success;
        }

        return response.Nonce.Span.SequenceEqual(_nonce) && response.Protocol == transport && response.InternalPort == internalPort;
    }
}
