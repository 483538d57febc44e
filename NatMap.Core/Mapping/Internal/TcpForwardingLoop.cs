using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NatMap.Forwarding;
using NatMap.Sockets.Internal;

namespace NatMap.Mapping.Internal;

/// <summary>
/// TCP forward mode: runs the TCP mapping loop and, for each mapping it reports, (re)starts a
/// <see cref="TcpForwarder"/> listening on the mapping's local port (SO_REUSEPORT lets it share the
/// port with the keep-alive socket) towards the target at <c>-p</c>, or at the public port when
/// <c>-p</c> is 0. A mapping that changes neither the local port nor the target keeps the forwarder.
/// </summary>
internal sealed class TcpForwardingLoop : IMappingLoop
{
    private readonly IMappingLoop _inner;
    private readonly MapperSettings _settings;
    private readonly BoundSocketFactory _sockets;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;

    public TcpForwardingLoop(IMappingLoop inner, MapperSettings settings, BoundSocketFactory sockets, ILoggerFactory loggerFactory, ILogger logger)
    {
        _inner = inner;
        _settings = settings;
        _sockets = sockets;
        _loggerFactory = loggerFactory;
        _logger = logger;
    }

    public async Task RunAsync(IMappingSink sink, CancellationToken cancellationToken)
    {
        var changes = Channel.CreateUnbounded<(IPEndPoint Public, IPEndPoint Private)>(new UnboundedChannelOptions { SingleReader = true });
        var pump = ForwardAsync(changes.Reader);
        try
        {
            await _inner.RunAsync(new ChangeTap(sink, changes.Writer), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            changes.Writer.TryComplete();
            await pump.ConfigureAwait(false);
        }
    }

    private async Task ForwardAsync(ChannelReader<(IPEndPoint Public, IPEndPoint Private)> changes)
    {
        TcpForwarder? forwarder = null;
        (int LocalPort, int TargetPort) running = default;
        try
        {
            await foreach (var (publicEndPoint, privateEndPoint) in changes.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                int targetPort = _settings.ForwardPort != 0 ? _settings.ForwardPort : publicEndPoint.Port;
                if (forwarder is not null && running == (privateEndPoint.Port, targetPort))
                {
                    continue;
                }

                if (forwarder is not null)
                {
                    await forwarder.StopAsync().ConfigureAwait(false);
                    forwarder = null;
                }

                forwarder = TryStart(privateEndPoint.Port, targetPort);
                running = (privateEndPoint.Port, targetPort);
            }
        }
        finally
        {
            if (forwarder is not null)
            {
                await forwarder.StopAsync().ConfigureAwait(false);
            }
        }
    }

    private TcpForwarder? TryStart(int localPort, int targetPort)
    {
        var local = new IPEndPoint(_settings.BindAddress, localPort);
        var forwarder = new TcpForwarder(
            new TcpForwarderOptions
            {
                ListenEndPoint = local,
                TargetHost = _settings.ForwardTarget!,
                TargetPort = targetPort,
                IdleTimeout = _settings.ForwardIdleTimeout,
                CongestionControl = _settings.Sockets.CongestionControl,
                ReuseAddress = true,
            },
            _loggerFactory);
        var socket = _sockets.Create(_settings.AddressFamily, ProtocolType.Tcp, shareLocalPort: true);
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

        MappingLog.ForwarderStarted(_logger, ProtocolType.Tcp, local, _settings.ForwardTarget!, targetPort);
        return forwarder;
    }

    /// <summary>Passes reports on and queues the ones that were changes for the forwarder.</summary>
    private sealed class ChangeTap(IMappingSink sink, ChannelWriter<(IPEndPoint, IPEndPoint)> changes) : IMappingSink
    {
        public bool Report(IPEndPoint publicEndPoint, IPEndPoint privateEndPoint)
        {
            bool changed = sink.Report(publicEndPoint, privateEndPoint);
            if (changed)
            {
                changes.TryWrite((publicEndPoint, privateEndPoint));
            }

            return changed;
        }
    }
}
