using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Forwarding;
using NatMap.Sockets.Internal;

namespace NatMap.Mapping.Internal;

/// <summary>
/// TCP forward mode: runs the TCP mapping loop and, before each reported mapping is announced,
/// (re)starts a <see cref="TcpForwarder"/> listening on the mapping's local port (SO_REUSEPORT lets it
/// share the port with the keep-alive socket) towards the target at <c>-p</c>, or at the public port
/// when <c>-p</c> is 0. A mapping that changes neither the local port nor the target keeps the
/// forwarder. So a watcher (or the notify script) that sees a mapping finds the port forwarded.
/// For in-process serving the same listener hands its connections to the app instead.
/// </summary>
internal sealed class TcpForwardingLoop : IMappingLoop, IMappingSink
{
    private readonly IMappingLoop _inner;
    private readonly MapperSettings _settings;
    private readonly BoundSocketFactory _sockets;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly Action<TcpPipeConnection>? _serve;
    private IMappingSink? _sink;
    private TcpForwarder? _forwarder;
    private Socket? _listener;
    private (int LocalPort, int TargetPort) _running;

    // With serve (in-process serving), the listener's connections go there instead of to a target.
    public TcpForwardingLoop(IMappingLoop inner, MapperSettings settings, BoundSocketFactory sockets, ILoggerFactory loggerFactory, ILogger logger, Action<TcpPipeConnection>? serve = null)
    {
        _serve = serve;
        _inner = inner;
        _settings = settings;
        _sockets = sockets;
        _loggerFactory = loggerFactory;
        _logger = logger;
    }

    public async Task RunAsync(IMappingSink sink, CancellationToken cancellationToken)
    {
        _sink = sink;
        try
        {
            await _inner.RunAsync(this, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await StopForwarderAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask<bool> ReportAsync(IPEndPoint publicEndPoint, IPEndPoint privateEndPoint, CancellationToken cancellationToken)
    {
        int targetPort = _serve is not null ? 0 : _settings.TargetPort != 0 ? _settings.TargetPort : publicEndPoint.Port;
        // A listener bound by -i to a device deleted since (a PPPoE redial makes a new one of the
        // same name) accepts nothing any more: start it again on the new device.
        if (_forwarder is null || _running != (privateEndPoint.Port, targetPort) || (_listener is { } listener && _sockets.IsDeviceGone(listener)))
        {
            await StopForwarderAsync().ConfigureAwait(false);
            _forwarder = TryStart(privateEndPoint.Port, targetPort);
            _running = (privateEndPoint.Port, targetPort);
        }

        return await _sink!.ReportAsync(publicEndPoint, privateEndPoint, cancellationToken).ConfigureAwait(false);
    }

    public void Lost(string reason) => _sink!.Lost(reason);

    private async Task StopForwarderAsync()
    {
        if (_forwarder is { } forwarder)
        {
            _forwarder = null;
            _listener = null;
            await forwarder.StopAsync().ConfigureAwait(false);
        }
    }

    private TcpForwarder? TryStart(int localPort, int targetPort)
    {
        var local = new IPEndPoint(_settings.BindAddress, localPort);
        var options = new TcpForwarderOptions
        {
            ListenEndPoint = local,
            TargetHost = _settings.TargetHost ?? "",
            TargetPort = targetPort,
            IdleTimeout = _settings.IdleTimeout,
            KeepAliveTime = _settings.ForwardKeepAliveTime,
            KeepAliveInterval = _settings.ForwardKeepAliveInterval,
            CongestionControl = _settings.Sockets.CongestionControl,
            MaxConnections = _settings.MaxConnections,
            ReuseAddress = true,
        };
        var forwarder = new TcpForwarder(options, _serve, _loggerFactory);
        Socket socket;
        try
        {
            socket = _sockets.Create(_settings.AddressFamily, ProtocolType.Tcp, shareLocalPort: true);
        }
        catch (IOException ex)
        {
            // The -i interface went between the check and now; the next setup waits for it.
            MappingLog.ForwarderFailed(_logger, local, ex.Message);
            return null;
        }

        if (!BoundSocketFactory.TryBind(socket, local, out var error))
        {
            socket.Dispose();
            MappingLog.ForwarderFailed(_logger, local, error.ToString());
            return null;
        }

        try
        {
            forwarder.Start(socket);
        }
        catch (SocketException ex)
        {
            MappingLog.ForwarderFailed(_logger, local, ex.Message);
            return null;
        }

        if (_serve is null)
        {
            MappingLog.ForwarderStarted(_logger, ProtocolType.Tcp, local, _settings.TargetHost!, targetPort);
        }
        else
        {
            MappingLog.ServerStarted(_logger, local);
        }

        _listener = socket;
        return forwarder;
    }
}
