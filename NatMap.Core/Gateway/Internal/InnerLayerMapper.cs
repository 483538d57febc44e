using System.Net;
using Microsoft.Extensions.Logging;
using NatMap.Diagnostics.Internal;
using NatMap.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Gateway.Internal;

/// <summary>
/// The mapper's policy for the home router: the inner NAT layer is opened, the outer one is learnt
/// by STUN. Port P is asked for as external port P (the router keeps the source port of the host's
/// traffic, so the ISP's mapping that STUN sees belongs to P); any other offer is released and
/// reported as a refusal, which moves the mapper to its next port. Under <see cref="GatewayProtocol.Auto"/>
/// PCP, NAT-PMP and UPnP are tried in that order and the first that answers is kept. The mapping is
/// renewed at half of the lease granted, checked every keep-alive interval (a router restarted with
/// its state lost gets it again), and deleted on disposal. With <c>-i</c> naming an interface, every
/// socket that talks to the router (PCP, NAT-PMP, SSDP, the IGD's HTTP) is bound to it, and the
/// router is that interface's default gateway.
/// </summary>
internal sealed class InnerLayerMapper : IAsyncDisposable
{
    private static readonly TimeSpan DeleteTimeout = TimeSpan.FromSeconds(3);

    private readonly GatewaySettings _settings;
    private readonly MappingProtocol _transport;
    private readonly TimeSpan _checkInterval;
    private readonly ILogger _logger;
    private readonly BoundSocketFactory _sockets;
    private readonly Func<GatewayProtocol, IPAddress, CancellationToken, Task<IGatewayPortClient>> _connect;
    private readonly Dictionary<GatewayProtocol, IGatewayPortClient> _clients = [];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private CancellationTokenSource _stopping = new();
    private IGatewayPortClient? _chosen;
    private IPAddress? _gateway;
    private int _wantedPort;
    private GatewayMapping? _current;
    private DateTime _grantedAt;
    private bool _warned;
    private Task? _maintaining;
    private int _disposed;

    public InnerLayerMapper(GatewaySettings settings, MappingProtocol transport, TimeSpan checkInterval, ILogger logger, Func<GatewayProtocol, IPAddress, CancellationToken, Task<IGatewayPortClient>>? connect = null)
    {
        _settings = settings;
        _transport = transport;
        _checkInterval = checkInterval;
        _logger = logger;
        _sockets = new BoundSocketFactory(SocketSettings.Interface(settings.BindInterface), logger);
        _connect = connect ?? ConnectAsync;
    }

    /// <summary>The router's forwarding now in force, or null.</summary>
    public GatewayMapping? Current => Volatile.Read(ref _current);

    /// <summary>The protocols tried, in order.</summary>
    public IReadOnlyList<GatewayProtocol> Protocols => _settings.Protocol == GatewayProtocol.Auto
        ? [GatewayProtocol.Pcp, GatewayProtocol.NatPmp, GatewayProtocol.Upnp]
        : [_settings.Protocol];

    /// <summary>
    /// Opens port <paramref name="port"/> on the router for the socket just bound to it. A port
    /// already open is kept; the forwarding of a port left is deleted first.
    /// </summary>
    public async Task<InnerLayerOutcome> OpenAsync(int port, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is { } current && current.InternalPort == port)
            {
                return InnerLayerOutcome.Opened;
            }

            await DeleteCurrentAsync().ConfigureAwait(false);
            _wantedPort = port;
            var outcome = await TryOpenAsync(port, quiet: false, cancellationToken).ConfigureAwait(false);
            _maintaining ??= MaintainAsync(_stopping.Token);
            return outcome;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops the renewals and deletes the forwarding (the mapper stopped); a later <see cref="OpenAsync"/> starts again.</summary>
    public async Task CloseAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_maintaining is not null)
        {
            await _maintaining.ConfigureAwait(false);
        }

        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await DeleteCurrentAsync().ConfigureAwait(false);
            _maintaining = null;
            _stopping.Dispose();
            _stopping = new CancellationTokenSource();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await CloseAsync().ConfigureAwait(false);
        foreach (var client in _clients.Values)
        {
            (client as IDisposable)?.Dispose();
        }

        _clients.Clear();
    }

    private async Task<InnerLayerOutcome> TryOpenAsync(int port, bool quiet, CancellationToken cancellationToken)
    {
        var gateway = _gateway ??= _settings.Gateway ?? DefaultGateway.Find(_settings.BindAddress, _settings.BindInterface);
        if (gateway is null)
        {
            WarnUnavailable("none: no default route", "no default gateway is known for the bound address or interface; name one");
            return InnerLayerOutcome.Unavailable;
        }

        string lastReason = "";
        foreach (var protocol in _chosen is null ? Protocols : [_chosen.Protocol])
        {
            IGatewayPortClient client;
            GatewayMapping granted;
            try
            {
                client = await GetClientAsync(protocol, gateway, cancellationToken).ConfigureAwait(false);
                granted = await client.MapAsync(_transport, port, _settings.Lease, cancellationToken).ConfigureAwait(false);
            }
            catch (NatMapException ex) when (ex.Kind == NatMapErrorKind.GatewayRefused)
            {
                _chosen = _clients.GetValueOrDefault(protocol);
                NatMapInstruments.GatewayRequest(protocol, "map", "refused");
                GatewayLog.Refused(_logger, gateway, _transport, port, GatewayProtocolNames.Display(protocol), ex.Message);
                return InnerLayerOutcome.Refused;
            }
            catch (NatMapException ex)
            {
                NatMapInstruments.GatewayRequest(protocol, "map", "failed");
                GatewayLog.ProtocolUnavailable(_logger, GatewayProtocolNames.Display(protocol), ex.Message);
                lastReason = ex.Message;
                _clients.Remove(protocol, out var dropped);
                (dropped as IDisposable)?.Dispose();
                continue;
            }

            _chosen = client;
            if (granted.ExternalPort != port)
            {
                NatMapInstruments.GatewayRequest(protocol, "map", "refused");
                GatewayLog.OtherPortOffered(_logger, gateway, port, granted.ExternalPort, GatewayProtocolNames.Display(protocol));
                await TryDeleteAsync(client, port).ConfigureAwait(false);
                return InnerLayerOutcome.Refused;
            }

            NatMapInstruments.GatewayRequest(protocol, "map", "success");
            Granted(granted);
            if (_warned)
            {
                _warned = false;
                GatewayLog.Recovered(_logger, gateway, _transport, port);
            }

            GatewayLog.Opened(_logger, gateway, _transport, port, GatewayProtocolNames.Display(protocol), granted.ExternalAddress?.ToString() ?? "unknown", (long)granted.Lifetime.TotalSeconds);
            return InnerLayerOutcome.Opened;
        }

        _chosen = null;
        if (!quiet)
        {
            WarnUnavailable(gateway.ToString(), lastReason);
        }

        return InnerLayerOutcome.Unavailable;
    }

    private void WarnUnavailable(string gateway, string reason)
    {
        if (!_warned)
        {
            _warned = true;
            GatewayLog.NoGateway(_logger, string.Join(", ", Protocols.Select(GatewayProtocolNames.Display)), gateway, reason);
        }
    }

    private void Granted(GatewayMapping granted)
    {
        _grantedAt = DateTime.UtcNow;
        Volatile.Write(ref _current, granted);
    }

    private async Task<IGatewayPortClient> GetClientAsync(GatewayProtocol protocol, IPAddress gateway, CancellationToken cancellationToken)
    {
        if (!_clients.TryGetValue(protocol, out var client))
        {
            client = await _connect(protocol, gateway, cancellationToken).ConfigureAwait(false);
            _clients[protocol] = client;
        }

        return client;
    }

    private async Task<IGatewayPortClient> ConnectAsync(GatewayProtocol protocol, IPAddress gateway, CancellationToken cancellationToken)
    {
        var local = _settings.BindAddress is { } bind && !bind.Equals(IPAddress.Any) ? bind : null;
        return protocol switch
        {
            GatewayProtocol.Pcp => new PcpClient(gateway, local) { Attempts = 3, Sockets = _sockets },
            GatewayProtocol.NatPmp => new NatPmpClient(gateway, local) { Attempts = 3, Sockets = _sockets },
            _ => await UpnpIgdClient.DiscoverAsync(gateway, local, _sockets, cancellationToken).ConfigureAwait(false),
        };
    }

    /// <summary>Every check interval (or half the lease, if sooner): renew, check, or try again to open.</summary>
    private async Task MaintainAsync(CancellationToken stopping)
    {
        try
        {
            while (true)
            {
                var lease = Current?.Lifetime ?? TimeSpan.Zero;
                var wait = lease > TimeSpan.Zero && lease / 2 < _checkInterval ? lease / 2 : _checkInterval;
                await Task.Delay(wait, stopping).ConfigureAwait(false);
                await _gate.WaitAsync(stopping).ConfigureAwait(false);
                try
                {
                    await MaintainOnceAsync(stopping).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Whatever a router's answer did, the next round tries again and the delete on stop still runs.
                    GatewayLog.MaintainFailed(_logger, _transport, _wantedPort, _gateway ?? IPAddress.None, GatewayProtocolNames.Display(_chosen?.Protocol ?? _settings.Protocol), ex.Message, _checkInterval);
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task MaintainOnceAsync(CancellationToken cancellationToken)
    {
        if (_current is not { } current || _chosen is not { } client)
        {
            await TryOpenAsync(_wantedPort, quiet: true, cancellationToken).ConfigureAwait(false);
            return;
        }

        var protocol = client.Protocol;
        string operation = "check";
        try
        {
            bool renew = current.Lifetime > TimeSpan.Zero && DateTime.UtcNow - _grantedAt >= current.Lifetime / 2;
            if (!renew)
            {
                bool? exists = await client.ExistsAsync(_transport, _wantedPort, cancellationToken).ConfigureAwait(false);
                if (exists == true)
                {
                    NatMapInstruments.GatewayRequest(protocol, operation, "success");
                    return;
                }

                if (exists == false)
                {
                    NatMapInstruments.GatewayRequest(protocol, operation, "lost");
                    GatewayLog.Lost(_logger, client.Gateway, _transport, _wantedPort, GatewayProtocolNames.Display(protocol));
                }
            }

            // PCP and NAT-PMP have no cheaper check than a renewal, which also re-creates a forgotten mapping.
            operation = "renew";
            var granted = await client.MapAsync(_transport, _wantedPort, _settings.Lease, cancellationToken).ConfigureAwait(false);
            if (granted.ExternalPort != _wantedPort)
            {
                await TryDeleteAsync(client, _wantedPort).ConfigureAwait(false);
                ThrowHelper.Throw(NatMapErrorKind.GatewayRefused, "the router now offers external port " + granted.ExternalPort + " instead");
            }

            NatMapInstruments.GatewayRequest(protocol, operation, "success");
            Granted(granted);
            GatewayLog.Renewed(_logger, client.Gateway, _transport, _wantedPort, GatewayProtocolNames.Display(protocol), (long)granted.Lifetime.TotalSeconds);
        }
        catch (NatMapException ex)
        {
            NatMapInstruments.GatewayRequest(protocol, operation, ex.Kind == NatMapErrorKind.GatewayRefused ? "refused" : "failed");
            GatewayLog.MaintainFailed(_logger, _transport, _wantedPort, client.Gateway, GatewayProtocolNames.Display(protocol), ex.Message, _checkInterval);
        }
    }

    private async Task DeleteCurrentAsync()
    {
        if (_current is { } current && _chosen is { } client)
        {
            Volatile.Write(ref _current, null);
            if (await TryDeleteAsync(client, current.InternalPort).ConfigureAwait(false))
            {
                GatewayLog.Deleted(_logger, client.Gateway, _transport, current.InternalPort, GatewayProtocolNames.Display(client.Protocol));
            }
        }
    }

    private async Task<bool> TryDeleteAsync(IGatewayPortClient client, int port)
    {
        using var timeout = new CancellationTokenSource(DeleteTimeout);
        try
        {
            await client.DeleteAsync(_transport, port, timeout.Token).ConfigureAwait(false);
            NatMapInstruments.GatewayRequest(client.Protocol, "delete", "success");
            return true;
        }
        catch (Exception ex) when (ex is NatMapException or OperationCanceledException)
        {
            NatMapInstruments.GatewayRequest(client.Protocol, "delete", "failed");
            GatewayLog.DeleteFailed(_logger, _transport, port, client.Gateway, GatewayProtocolNames.Display(client.Protocol), ex.Message);
            return false;
        }
    }
}
