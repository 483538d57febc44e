using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Gateway.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Mapping.Internal;

/// <summary>
/// Binds the mapper's local port following the port spec: tries the ports of the range in turn, and for
/// a fixed port held by another process, shares it through <see cref="PortTakeover"/> when it can.
/// While the <c>-i</c> interface does not exist or the <c>-i</c> address is not assigned yet (a PPPoE
/// link or a DHCP lease still coming up), no port can be bound, but that is no fault of the port:
/// the binder then says so once, keeps to the same port and reports <see cref="Waiting"/>, and the
/// caller tries again after its back-off.
/// </summary>
internal sealed class LocalPortBinder
{
    private readonly MapperSettings _settings;
    private readonly BoundSocketFactory _sockets;
    private readonly PortTakeover _takeover;
    private readonly ILogger _logger;
    private bool _addressMissing;

    public LocalPortBinder(MapperSettings settings, BoundSocketFactory sockets, PortTakeover takeover, PortSelector selector, ILogger logger, InnerLayerMapper? innerLayer = null)
    {
        _settings = settings;
        InnerLayer = innerLayer;
        _sockets = sockets;
        _takeover = takeover;
        Selector = selector;
        _logger = logger;
    }

    public PortSelector Selector { get; }

    /// <summary>The home router's policy, when the mapper opens the inner NAT layer too.</summary>
    public InnerLayerMapper? InnerLayer { get; }

    public BoundSocketFactory Sockets => _sockets;

    /// <summary>Whether the last <see cref="TryBind"/> failed because the interface or the address is not there yet.</summary>
    public bool Waiting { get; private set; }

    /// <summary>
    /// A UDP socket bound as <see cref="TryBind"/> binds it; while no port of the spec can be bound,
    /// waits the next <paramref name="backoff"/> delay and tries again.
    /// </summary>
    public async Task<Socket> BindUdpAsync(RetryBackoff backoff, CancellationToken cancellationToken)
    {
        Socket? socket;
        while ((socket = await TryBindAsync(ProtocolType.Udp, shareLocalPort: false, cancellationToken).ConfigureAwait(false)) is null)
        {
            var delay = backoff.Next();
            if (Waiting)
            {
                MappingLog.WaitingToBind(_logger, delay);
            }
            else
            {
                MappingLog.NoPortBound(_logger, _settings.Port, delay);
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }

        return socket;
    }

    /// <summary>
    /// A socket bound to the next usable port, or <see langword="null"/> when every port tried failed
    /// (the failures are logged; the caller pauses and tries again). With a home router to open, a
    /// port it refuses counts as one that could not be bound: the next of the range is tried.
    /// </summary>
    public async Task<Socket?> TryBindAsync(ProtocolType protocol, bool shareLocalPort, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < Selector.AttemptsPerSetup; attempt++)
        {
            var socket = TryBind(protocol, shareLocalPort, Selector.AttemptsPerSetup - attempt);
            if (socket is null || InnerLayer is null)
            {
                return socket;
            }

            var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            if (await InnerLayer.OpenAsync(port, cancellationToken).ConfigureAwait(false) != InnerLayerOutcome.Refused)
            {
                return socket;
            }

            socket.Dispose();
            MappingLog.GatewayRefusedPort(_logger, protocol, port);
            Selector.BindFailed();
        }

        return null;
    }

    private Socket? TryBind(ProtocolType protocol, bool shareLocalPort, int attempts)
    {
        Waiting = false;
        for (int attempt = 0; attempt < attempts; attempt++)
        {
            var local = new IPEndPoint(_settings.BindAddress, Selector.Current);
            Socket socket;
            try
            {
                socket = _sockets.Create(_settings.AddressFamily, protocol, shareLocalPort);
            }
            catch (NatMapException) when (_sockets.InterfaceMissing)
            {
                // Said once by the factory; the port is not to blame, so the selector keeps it.
                Waiting = true;
                return null;
            }

            if (BoundSocketFactory.TryBind(socket, local, out var error)
                || (error == SocketError.AddressAlreadyInUse && TryTakeOver(socket, local, protocol)))
            {
                var bound = (IPEndPoint)socket.LocalEndPoint!;
                Selector.Bound(bound.Port);
                if (_addressMissing)
                {
                    _addressMissing = false;
                    MappingLog.AddressAssigned(_logger, _settings.BindAddress);
                }

                MappingLog.Bound(_logger, protocol, bound);
                return socket;
            }

            socket.Dispose();
            if (error == SocketError.AddressNotAvailable)
            {
                // EADDRNOTAVAIL: the -i address is on no interface (yet). Every port would fail alike.
                if (!_addressMissing)
                {
                    _addressMissing = true;
                    MappingLog.AddressNotAssigned(_logger, _settings.BindAddress, SocketErrorClassifier.Describe(error));
                }

                Waiting = true;
                return null;
            }

            MappingLog.BindFailed(_logger, protocol, local, SocketErrorClassifier.Describe(error));
            Selector.BindFailed();
        }

        return null;
    }

    private bool TryTakeOver(Socket socket, IPEndPoint local, ProtocolType protocol)
    {
        if (!Selector.MayTakeOver)
        {
            return false;
        }

        if (!_takeover.TryShare(local, protocol, out string reason))
        {
            MappingLog.TakeoverFailed(_logger, local, reason);
            return false;
        }

        // The holder now has SO_REUSEPORT; this socket needs it too to join the port.
        string? failure = !LinuxSocketOptions.TrySetReuseAddressAndPort(socket, out var optionFailure) ? optionFailure
            : !BoundSocketFactory.TryBind(socket, local, out var error) ? SocketErrorClassifier.Describe(error)
            : null;
        if (failure is not null)
        {
            MappingLog.TakeoverFailed(_logger, local, "bind still failed after sharing: " + failure);
            return false;
        }

        return true;
    }

    /// <summary>
    /// The private address to report, in UDP mapping, serving and forward mode alike. A socket bound
    /// to a wildcard has no address of its own; the one the kernel would send from towards the STUN
    /// server is found by connecting a scratch UDP socket (which sends nothing).
    /// </summary>
    public IPAddress PrivateAddress(IPEndPoint bound, StunObservation observation)
    {
        if (!bound.Address.Equals(IPAddress.Any) && !bound.Address.Equals(IPAddress.IPv6Any))
        {
            return bound.Address;
        }

        if (observation.LocalEndPoint is { } local && !local.Address.Equals(IPAddress.Any) && !local.Address.Equals(IPAddress.IPv6Any))
        {
            return local.Address;
        }

        // No route now, or the -i interface just went: report the wildcard rather than fail the check.
        return observation.ServerEndPoint is { } server && _sockets.SourceAddressTowards(server) is { } source
            ? source
            : bound.Address;
    }
}
