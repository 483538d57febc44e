using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Diagnostics;
using NatMap.Diagnostics.Internal;

namespace NatMap.Mapping.Internal;

/// <summary>The mapper's STUN queries over the library's STUN client.</summary>
internal sealed class StunProbe : IStunProbe
{
    private StunProbe()
    {
    }

    public static IStunProbe Create(MapperSettings settings, ILoggerFactory loggerFactory)
    {
        _ = settings;
        _ = loggerFactory;
        return new StunProbe();
    }

    public Task<StunObservation> QueryUdpAsync(Socket boundSocket, CancellationToken cancellationToken) =>
        Task.FromException<StunObservation>(ThrowHelper.Create(NatMapErrorKind.NotSupported, "the STUN client is not wired in yet"));

    public Task<StunObservation> QueryTcpAsync(AddressFamily family, Func<AddressFamily, Socket> createSocket, CancellationToken cancellationToken) =>
        Task.FromException<StunObservation>(ThrowHelper.Create(NatMapErrorKind.NotSupported, "the STUN client is not wired in yet"));
}
