using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Stun;
using NatMap.Stun.Internal;

namespace NatMap.Mapping.Internal;

/// <summary>The mapper's STUN queries over the library's <see cref="StunClient"/>.</summary>
internal sealed class StunProbe : IStunProbe
{
    // A check must fit well within a keep-alive interval (10 s for UDP by default), so the RFC 8489
    // defaults (39.5 s per server) are shortened: UDP requests at 0, 0.5 and 1.5 s then a 2 s wait
    // (3.5 s per server address); TCP gets 10 s to connect and answer.
    private const int MaxRequests = 3;
    private const int LastWaitMultiplier = 4;
    private static readonly TimeSpan InitialRto = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan TcpTimeout = TimeSpan.FromSeconds(10);

    private readonly StunClient _client;

    private StunProbe(StunClient client)
    {
        _client = client;
    }

    /// <summary>A probe over the settings' servers; <paramref name="tune"/> lets tests shorten the timing.</summary>
    public static IStunProbe Create(MapperSettings settings, ILoggerFactory loggerFactory, Action<StunClientOptions>? tune = null)
    {
        var options = new StunClientOptions
        {
            InitialRto = InitialRto,
            MaxRequests = MaxRequests,
            LastWaitMultiplier = LastWaitMultiplier,
            TcpTimeout = TcpTimeout,
        };
        foreach (var server in settings.StunServers)
        {
            options.StunServers.Add(server);
        }

        tune?.Invoke(options);
        return new StunProbe(new StunClient(options, loggerFactory));
    }

    public async Task<StunObservation> QueryUdpAsync(Socket boundSocket, CancellationToken cancellationToken) =>
        ToObservation(await _client.QueryUdpAsync(boundSocket, cancellationToken).ConfigureAwait(false));

    public async Task<StunObservation> QueryUdpAsync(IStunDatagramTransport transport, AddressFamily family, CancellationToken cancellationToken) =>
        ToObservation(await _client.QueryUdpAsync(transport, family, cancellationToken).ConfigureAwait(false));

    public async Task<StunObservation> QueryTcpAsync(AddressFamily family, Func<AddressFamily, Socket> createSocket, CancellationToken cancellationToken) =>
        ToObservation(await _client.QueryTcpAsync(family, createSocket, cancellationToken).ConfigureAwait(false));

    private static StunObservation ToObservation(StunBindingResult result) =>
        new(result.MappedEndPoint, result.LocalEndPoint, result.ServerEndPoint);
}
