using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Forwarding;

namespace NatMap.Mapping.Internal;

/// <summary>
/// UDP forward mode. The mapping socket is bound and checked once with STUN (the target port may be the
/// public port, so it must be known first), then handed to a <see cref="UdpForwarder"/>, which owns it
/// from then on. Each round sends a one-byte keep-alive from the forwarder's socket to the STUN server
/// that answered last, and every <c>-c</c> rounds a full Binding check runs through the forwarder's
/// socket (the probe's STUN client over a <see cref="ForwardedUdpStun"/> transport). When the check shows a mapping whose target port differs (with
/// <c>-p 0</c>), the forwarder is stopped (closing the socket), the same port is bound again and the
/// cycle restarts.
/// </summary>
internal sealed class UdpForwardingLoop : IMappingLoop
{
    /// <summary>
    /// The receive buffer asked for the forwarder's socket (SO_RCVBUFFORCE where allowed, else
    /// SO_RCVBUF capped at net.core.rmem_max, with a warning; see UdpForwarder.Start).
    /// Every client's datagrams queue on this one socket, and a large datagram reassembled from
    /// 1500-byte fragments costs far more than its length: with the 208 KiB default, four 49 KiB
    /// datagrams arriving together from four clients overflowed it in the testbed (UdpRcvbufErrors).
    /// </summary>
    private const int ListenerReceiveBufferSize = 2 * 1024 * 1024;

    private readonly MapperSettings _settings;
    private readonly IStunProbe _stun;
    private readonly LocalPortBinder _binder;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly StunCheckHealth _health;

    public UdpForwardingLoop(MapperSettings settings, IStunProbe stun, LocalPortBinder binder, ILoggerFactory loggerFactory, ILogger logger)
    {
        _settings = settings;
        _stun = stun;
        _binder = binder;
        _loggerFactory = loggerFactory;
        _logger = logger;
        _health = new StunCheckHealth(logger);
    }

    public async Task RunAsync(IMappingSink sink, CancellationToken cancellationToken)
    {
        var backoff = new RetryBackoff(_settings.RetryDelay, _settings.MaxRetryDelay);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var socket = await _binder.BindUdpAsync(backoff, cancellationToken).ConfigureAwait(false);
            var bound = (IPEndPoint)socket.LocalEndPoint!;
            StunObservation? checkedFirst;
            try
            {
                checkedFirst = await FirstCheckAsync(socket, bound, backoff, sink, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            if (checkedFirst is not { } first)
            {
                // The -i device went away under the socket (a PPPoE link torn down): bind anew.
                socket.Dispose();
                continue;
            }

            backoff.Reset();
            var privateEndPoint = new IPEndPoint(_binder.PrivateAddress(bound, first), bound.Port);
            await sink.ReportAsync(first.MappedEndPoint, privateEndPoint, cancellationToken).ConfigureAwait(false);
            await ForwardUntilTargetChangesAsync(socket, bound, privateEndPoint, first, sink, cancellationToken).ConfigureAwait(false);

            // Same port again: the NAT's entry belongs to it.
            _binder.Selector.Bound(bound.Port);
        }
    }

    /// <summary>Checks until one answers; null when the socket's <c>-i</c> device is gone, so that it must be bound anew.</summary>
    private async Task<StunObservation?> FirstCheckAsync(Socket socket, IPEndPoint bound, RetryBackoff backoff, IMappingSink sink, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                var observation = await _stun.QueryUdpAsync(socket, cancellationToken).ConfigureAwait(false);
                _health.Succeeded(bound, observation.MappedEndPoint);
                return observation;
            }
            catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                _health.Failed(bound, ex.Message);
                sink.Lost(ex.Message);
            }

            if (_binder.Sockets.IsDeviceGone(socket))
            {
                return null;
            }

            var delay = backoff.Next();
            await Task.Delay(delay < _settings.KeepAliveInterval ? delay : _settings.KeepAliveInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ForwardUntilTargetChangesAsync(Socket socket, IPEndPoint bound, IPEndPoint privateEndPoint, StunObservation first, IMappingSink sink, CancellationToken cancellationToken)
    {
        int targetPort = TargetPort(first.MappedEndPoint);
        UdpForwarder? forwarder = null;
        var transport = new ForwardedUdpStun(
            bound,
            (datagram, remote) => forwarder!.SendFromListener(datagram.Span, remote),
            remote => forwarder!.AddControlEndPoint(remote));
        forwarder = new UdpForwarder(
            new UdpForwarderOptions
            {
                ListenEndPoint = bound,
                TargetHost = _settings.TargetHost!,
                TargetPort = targetPort,
                IdleTimeout = _settings.IdleTimeout,
                ReceiveBufferSize = ListenerReceiveBufferSize,
                ControlDatagramHandler = transport.OnControlDatagram,
            },
            _loggerFactory);
        if (first.ServerEndPoint is { } server)
        {
            transport.Watch(server);
        }

        forwarder.Start(socket);
        MappingLog.ForwarderStarted(_logger, ProtocolType.Udp, bound, _settings.TargetHost!, targetPort);
        var keepAliveTo = first.ServerEndPoint;
        try
        {
            var schedule = new UdpCheckSchedule(_settings.UdpCheckCycle);
            schedule.NextIsFullCheck();
            var backoff = new RetryBackoff(_settings.RetryDelay, _settings.MaxRetryDelay);
            while (true)
            {
                var wait = _settings.KeepAliveInterval;
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                if (!schedule.NextIsFullCheck())
                {
                    SendKeepAlive(forwarder, bound, keepAliveTo);
                    continue;
                }

                try
                {
                    var observation = await _stun.QueryUdpAsync(transport, _settings.AddressFamily, cancellationToken).ConfigureAwait(false);
                    _health.Succeeded(bound, observation.MappedEndPoint);
                    backoff.Reset();
                    keepAliveTo = observation.ServerEndPoint ?? keepAliveTo;
                    await sink.ReportAsync(observation.MappedEndPoint, privateEndPoint, cancellationToken).ConfigureAwait(false);
                    if (TargetPort(observation.MappedEndPoint) != targetPort)
                    {
                        return;
                    }
                }
                catch (Exception ex) when (ex is IOException or SocketException or TimeoutException && !cancellationToken.IsCancellationRequested)
                {
                    _health.Failed(bound, ex.Message);
                    sink.Lost(ex.Message);
                    if (_binder.Sockets.IsDeviceGone(socket))
                    {
                        return;
                    }

                    schedule.CheckFailed();
                }
            }
        }
        finally
        {
            await forwarder.StopAsync().ConfigureAwait(false);
        }
    }

    private void SendKeepAlive(UdpForwarder forwarder, IPEndPoint bound, IPEndPoint? server)
    {
        if (server is null)
        {
            return;
        }

        try
        {
            forwarder.SendFromListener([0], server);
            MappingLog.UdpKeepAliveSent(_logger, bound);
        }
        catch (IOException ex)
        {
            MappingLog.UdpKeepAliveFailed(_logger, bound, ex.Message);
        }
    }

    private int TargetPort(IPEndPoint publicEndPoint) => _settings.TargetPort != 0 ? _settings.TargetPort : publicEndPoint.Port;
}
